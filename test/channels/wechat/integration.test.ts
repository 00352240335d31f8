/**
 * The WeChat routes inside the real surroundings: the shared public-endpoint hardening (which
 * installs a global bodyParser), two bot instances sharing Redis stores, and per-follower limits.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { t } from '../../../conversation/messages/index.js';
import { openStores, type Stores } from '../../../bot/storage/index.js';
import { cipher, FakeWeChatApi, newMsgId, postPlain, postSafe, signedQuery, startBotServer, TestBot, textXml } from './helpers.js';

const parser = new XMLParser({ parseTagValue: false });
const replyOf = (xml: string): Record<string, string> => parser.parse(xml).xml;
const follower = () => `oIntegration_${randomBytes(4).toString('hex')}`;

let api: FakeWeChatApi;
beforeAll(async () => {
  api = new FakeWeChatApi();
  await api.start();
});
afterAll(() => api.stop());

describe('behind the shared hardening (global bodyParser)', () => {
  it('still reads raw XML in both modes, limits the body and keeps security headers', async () => {
    const bot = new TestBot();
    const app = await startBotServer(bot, api.url, { hardened: true, mode: 'plain' });
    const safeApp = await startBotServer(bot, api.url, { hardened: true });
    try {
      const openId = follower();
      const plain = await postPlain(app.url, textXml(openId, '明文', newMsgId()));
      expect(replyOf(await plain.text()).Content).toBe('echo: 明文\n\nsecond line');
      expect(plain.headers.get('x-content-type-options')).toBe('nosniff');

      const safe = await postSafe(safeApp.url, textXml(openId, '密文', newMsgId()));
      expect(replyOf(cipher.decrypt(replyOf(await safe.text()).Encrypt!)).Content).toBe('echo: 密文\n\nsecond line');

      const huge = await postPlain(app.url, `<xml>${'A'.repeat(1024 * 1024)}</xml>`);
      expect(huge.status).toBe(413);
      const json = await fetch(`${app.url}/api/wechat?timestamp=1&nonce=n&signature=${'0'.repeat(40)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"xml":1}',
      });
      // The global parser turned it into an object: not WeChat's XML, whatever the signature.
      expect(json.status).toBe(400);
      expect(bot.turns).toBe(2);
    } finally {
      await app.close();
      await safeApp.close();
    }
  });
});

describe('two bot instances sharing Redis stores', () => {
  let stores: [Stores, Stores];
  beforeAll(async () => {
    const settings = { url: 'redis://127.0.0.1:6379', prefix: `forbear-test-wechat-${randomBytes(4).toString('hex')}:` };
    stores = [await openStores(settings), await openStores(settings)];
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('runs one turn when WeChat retries a MsgId on the other instance, and shares numbered choices', async () => {
    const bots = [new TestBot(), new TestBot()] as const;
    const apps = [
      await startBotServer(bots[0], api.url, { stores: stores[0], mode: 'plain' }),
      await startBotServer(bots[1], api.url, { stores: stores[1], mode: 'plain' }),
    ] as const;
    try {
      const openId = follower();
      const xml = textXml(openId, 'hello', newMsgId());
      const answers = await Promise.all([postPlain(apps[0].url, xml), postPlain(apps[1].url, xml)].map((r) => r.then((x) => x.text())));
      expect(bots[0].turns + bots[1].turns).toBe(1);
      expect(answers.filter((a) => a.startsWith('<xml>'))).toHaveLength(1);
      expect(answers.filter((a) => a === 'success')).toHaveLength(1);

      await postPlain(apps[0].url, textXml(openId, 'menu', newMsgId()));
      await postPlain(apps[1].url, textXml(openId, '1', newMsgId()));
      expect(bots[1].received.at(-1)).toEqual({ text: 'accept', value: undefined });

      // A query string captured from one instance's access log is refused by the other too.
      const captured = signedQuery();
      await postPlain(apps[0].url, textXml(openId, 'first', newMsgId()), captured);
      const turns = bots[0].turns + bots[1].turns;
      const forged = await postPlain(apps[1].url, textXml(follower(), '我还欠多少', newMsgId()), captured);
      expect(forged.status).toBe(401);
      expect(bots[0].turns + bots[1].turns).toBe(turns);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});

describe('per-follower rate limit', () => {
  it('asks a flooding follower to slow down without running turns, and leaves others alone', async () => {
    const bot = new TestBot();
    const app = await startBotServer(bot, api.url, { followerRateLimit: { ratePerSec: 0.001, burst: 2 }, mode: 'plain' });
    try {
      const flooder = follower();
      const replies: string[] = [];
      for (let i = 0; i < 4; i++) replies.push(replyOf(await (await postPlain(app.url, textXml(flooder, `m${i}`, newMsgId()))).text()).Content!);
      expect(replies.slice(2)).toEqual([t('zh-CN', 'wechat.rate_limited'), t('zh-CN', 'wechat.rate_limited')]);
      expect(bot.turns).toBe(2);
      const other = await postPlain(app.url, textXml(follower(), 'hi', newMsgId()));
      expect(replyOf(await other.text()).Content).toBe('echo: hi\n\nsecond line');
    } finally {
      await app.close();
    }
  });
});
