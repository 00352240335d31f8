import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { wechatSignature } from '../../../bot/channels/wechat/crypto.js';
import { t } from '../../../conversation/messages/index.js';
import {
  BOT_ID,
  cipher,
  eventXml,
  FakeWeChatApi,
  mediaXml,
  newMsgId,
  postPlain,
  postRequest,
  postSafe,
  safeRequest,
  signedQuery,
  startBotServer,
  TestBot,
  textXml,
  TOKEN,
} from './helpers.js';

const xmlParser = new XMLParser({ parseTagValue: false });
function replyOf(xml: string): Record<string, string> {
  return xmlParser.parse(xml).xml;
}

let api: FakeWeChatApi;
let bot: TestBot;
/** 明文模式: no EncodingAESKey configured. */
let app: Awaited<ReturnType<typeof startBotServer>>;
/** 安全模式: the EncodingAESKey is configured, so only encrypted requests are accepted. */
let safe: Awaited<ReturnType<typeof startBotServer>>;
let openId: string;
let userCount = 0;

beforeAll(async () => {
  api = new FakeWeChatApi();
  await api.start();
  bot = new TestBot();
  app = await startBotServer(bot, api.url, { mode: 'plain' });
  safe = await startBotServer(bot, api.url);
});
afterAll(async () => {
  await app.close();
  await safe.close();
  await api.stop();
});
beforeEach(() => {
  openId = `oFollower${++userCount}_${Date.now()}`;
});

describe('GET /api/wechat (server verification)', () => {
  it('echoes echostr when the signature is right', async () => {
    const query = signedQuery({ echostr: '5837397520665436492' });
    const res = await fetch(`${app.url}/api/wechat?${new URLSearchParams(query)}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('5837397520665436492');
  });

  it('refuses a wrong signature or a missing one with 401 and no echo', async () => {
    const query = signedQuery({ echostr: 'abc' });
    const wrong = await fetch(`${app.url}/api/wechat?${new URLSearchParams({ ...query, signature: '0'.repeat(40) })}`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('abc');
    const missing = await fetch(`${app.url}/api/wechat?echostr=abc&timestamp=1&nonce=x`);
    expect(missing.status).toBe(401);
  });
});

describe('POST /api/wechat, plain mode', () => {
  it('runs a turn and answers passively with every message of the turn merged, typing dropped', async () => {
    const msgId = newMsgId();
    const res = await postPlain(app.url, textXml(openId, '我想分期', msgId));
    expect(res.status).toBe(200);
    const reply = replyOf(await res.text());
    expect(reply).toMatchObject({ ToUserName: openId, FromUserName: BOT_ID, MsgType: 'text' });
    expect(reply.Content).toBe('echo: 我想分期\n\nsecond line');
    const reference = bot.references.at(-1)!;
    expect(reference.conversation?.id).toBe(`wechat:${openId}`);
    expect(reference.user?.id).toBe(openId);
    expect(reference.channelId).toBe('wechat');
    expect(reference.activityId).toBe(msgId);
    expect(reference.locale).toBe('zh-CN');
  });

  it('refuses a bad signature with 401 and runs no turn', async () => {
    const before = bot.turns;
    const res = await postPlain(app.url, textXml(openId, 'hi', newMsgId()), { ...signedQuery(), signature: 'f'.repeat(40) });
    expect(res.status).toBe(401);
    expect(bot.turns).toBe(before);
  });

  it('refuses a correctly signed but stale request (replay) with 401', async () => {
    const before = bot.turns;
    const res = await postPlain(app.url, textXml(openId, 'hi', newMsgId()), signedQuery({}, String(Math.floor(Date.now() / 1000) - 3600)));
    expect(res.status).toBe(401);
    expect(bot.turns).toBe(before);
  });

  it('runs one turn for a MsgId sent three times at once, and answers a late retry with the same reply', async () => {
    const before = bot.turns;
    const xml = textXml(openId, 'retry me', newMsgId());
    const answers = await Promise.all([1, 2, 3].map(() => postPlain(app.url, xml).then((r) => r.text())));
    expect(bot.turns).toBe(before + 1);
    for (const answer of answers) expect(replyOf(answer).Content).toBe('echo: retry me\n\nsecond line');
    const late = await postPlain(app.url, xml);
    expect(replyOf(await late.text()).Content).toBe('echo: retry me\n\nsecond line');
    expect(bot.turns).toBe(before + 1);
    expect(api.sent.filter((m) => m.body.touser === openId)).toEqual([]);
  });

  it('answers "success" when the turn outlasts the window, then delivers by customer-service API, once', async () => {
    const before = bot.turns;
    const xml = textXml(openId, 'slow', newMsgId());
    const first = await postPlain(app.url, xml);
    expect(await first.text()).toBe('success');
    // WeChat's retry while the turn is still running joins it instead of starting another.
    const retry = await postPlain(app.url, xml);
    expect(await retry.text()).toBe('success');
    const sentBefore = api.sent.length;
    bot.finishSlowTurn();
    await api.waitForSent(sentBefore + 2);
    const mine = api.sent.filter((m) => m.body.touser === openId);
    expect(mine.map((m) => m.body)).toEqual([
      { touser: openId, msgtype: 'text', text: { content: 'slow part 1' } },
      { touser: openId, msgtype: 'text', text: { content: 'slow part 2' } },
    ]);
    expect(mine.every((m) => m.accessToken === `ACCESS_TOKEN_${api.tokenRequests}`)).toBe(true);
    expect(api.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(bot.turns).toBe(before + 1);
  });

  it('turns suggested actions into numbered choices and maps a digit back to the action value', async () => {
    const menu = replyOf(await (await postPlain(app.url, textXml(openId, 'menu', newMsgId()))).text());
    expect(menu.Content).toBe(
      ['请选择：', '', t('zh-CN', 'wechat.choice_line', { n: 1, label: '接受' }), t('zh-CN', 'wechat.choice_line', { n: 2, label: '其他方案' })].join('\n'),
    );
    expect(menu.Content).toContain('回复 1 接受');
    const one = replyOf(await (await postPlain(app.url, textXml(openId, '1', newMsgId()))).text());
    expect(one.Content).toBe('echo: accept\n\nsecond line');
    expect(bot.received.at(-1)).toEqual({ text: 'accept', value: undefined });
  });

  it('maps a digit to a non-text value as the title with the value attached, and forgets choices afterwards', async () => {
    await postPlain(app.url, textXml(openId, 'menu', newMsgId()));
    await postPlain(app.url, textXml(openId, '２', newMsgId()));
    expect(bot.received.at(-1)).toEqual({ text: '其他方案', value: { choice: 'other' } });
    // The echo reply had no choices, so a digit is just text now.
    await postPlain(app.url, textXml(openId, '1', newMsgId()));
    expect(bot.received.at(-1)).toEqual({ text: '1', value: undefined });
  });

  it('answers unsupported message types politely without a turn', async () => {
    const before = bot.turns;
    for (const type of ['voice', 'image', 'video', 'location', 'link']) {
      const reply = replyOf(await (await postPlain(app.url, mediaXml(openId, type, newMsgId()))).text());
      expect(reply.Content, type).toBe(t('zh-CN', 'channel.unsupported_message'));
    }
    expect(bot.turns).toBe(before);
  });

  it('greets a new follower: subscribe becomes a conversationUpdate turn', async () => {
    const reply = replyOf(await (await postPlain(app.url, eventXml(openId, 'subscribe'))).text());
    expect(reply.Content).toBe('欢迎');
    const unsubscribe = await postPlain(app.url, eventXml(openId, 'unsubscribe'));
    expect(await unsubscribe.text()).toBe('success');
  });
});

describe('POST /api/wechat, safe mode', () => {
  it('decrypts the request and answers with an encrypted, signed passive reply', async () => {
    const res = await postSafe(safe.url, textXml(openId, '安全模式', newMsgId()));
    expect(res.status).toBe(200);
    const envelope = replyOf(await res.text());
    expect(envelope.MsgSignature).toBe(wechatSignature([TOKEN, envelope.TimeStamp!, envelope.Nonce!, envelope.Encrypt!]));
    const inner = replyOf(cipher.decrypt(envelope.Encrypt!));
    expect(inner).toMatchObject({ ToUserName: openId, FromUserName: BOT_ID, MsgType: 'text', Content: 'echo: 安全模式\n\nsecond line' });
  });

  it('refuses a wrong msg_signature with 401', async () => {
    const before = bot.turns;
    const res = await postSafe(safe.url, textXml(openId, 'x', newMsgId()), { badSignature: true });
    expect(res.status).toBe(401);
    expect(bot.turns).toBe(before);
  });

  it('refuses a message encrypted for another appid with 401', async () => {
    const before = bot.turns;
    const res = await postSafe(safe.url, textXml(openId, 'x', newMsgId()), { appId: 'wxffffffffffffffff' });
    expect(res.status).toBe(401);
    expect(bot.turns).toBe(before);
  });
});

describe('replay of a captured request', () => {
  const secondsAgo = (n: number) => String(Math.floor(Date.now() / 1000) - n);

  it('with an EncodingAESKey configured, refuses a correctly signed plain-mode request and runs no turn', async () => {
    const before = bot.turns;
    const res = await postPlain(safe.url, textXml(openId, '查一下我的欠款', newMsgId()));
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('echo');
    expect(bot.turns).toBe(before);
  });

  it('refuses a captured query string carrying another message, as another follower (plain mode)', async () => {
    const captured = signedQuery();
    const first = await postPlain(app.url, textXml(openId, '你好', newMsgId()), captured);
    expect(replyOf(await first.text()).Content).toBe('echo: 你好\n\nsecond line');
    const before = bot.turns;
    const victim = `oVictim_${Date.now()}`;
    const forged = await postPlain(app.url, textXml(victim, '我还欠多少钱', newMsgId()), captured);
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain('echo');
    expect(bot.turns).toBe(before);
  });

  it('an exact replay of a safe-mode request (WeChat retrying it) runs no second turn', async () => {
    const request = safeRequest(textXml(openId, '只一次', newMsgId()));
    const before = bot.turns;
    const first = await postRequest(safe.url, request);
    expect(first.status).toBe(200);
    const again = await postRequest(safe.url, request);
    expect([200, 401]).toContain(again.status);
    expect(bot.turns).toBe(before + 1);
  });

  it('keeps the window tight: a request signed two minutes ago or ahead is refused', async () => {
    const before = bot.turns;
    for (const timestamp of [secondsAgo(120), secondsAgo(-120)]) {
      const res = await postPlain(app.url, textXml(openId, 'late', newMsgId()), signedQuery({}, timestamp));
      expect(res.status, timestamp).toBe(401);
      const safeRes = await postRequest(safe.url, safeRequest(textXml(openId, 'late', newMsgId()), { timestamp }));
      expect(safeRes.status, timestamp).toBe(401);
    }
    expect(bot.turns).toBe(before);
  });

  it('GET verification checks the timestamp and refuses a reused nonce', async () => {
    const stale = signedQuery({ echostr: 'stale-echo' }, secondsAgo(3600));
    const old = await fetch(`${app.url}/api/wechat?${new URLSearchParams(stale)}`);
    expect(old.status).toBe(401);
    expect(await old.text()).not.toContain('stale-echo');
    const query = signedQuery({ echostr: 'fresh-echo' });
    expect(await (await fetch(`${app.url}/api/wechat?${new URLSearchParams(query)}`)).text()).toBe('fresh-echo');
    const reused = await fetch(`${app.url}/api/wechat?${new URLSearchParams({ ...query, echostr: 'other-echo' })}`);
    expect(reused.status).toBe(401);
  });
});

describe('hostile input', () => {
  it('refuses DOCTYPE / entity expansion, garbage and wrong shapes with 400, a huge body with 413, and stays up', async () => {
    const before = bot.turns;
    const billionLaughs =
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' +
      `<xml><ToUserName>gh</ToUserName><FromUserName>${openId}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>`;
    const external = `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>`;
    for (const body of [billionLaughs, external, 'garbage <<< >>>', '', '<xml><MsgType>text</MsgType>', textXml(openId, 'x', 'not-a-number')]) {
      const res = await postPlain(app.url, body);
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(await res.text()).not.toMatch(/at .*\.ts|Error:/);
    }
    const huge = await postPlain(app.url, `<xml><Content>${'A'.repeat(1024 * 1024)}</Content></xml>`);
    expect(huge.status).toBe(413);
    const hugeSafe = await postPlain(safe.url, 'x'.repeat(1024 * 1024), { ...signedQuery(), encrypt_type: 'aes' });
    expect(hugeSafe.status).toBe(413);
    const badCipher = await postPlain(safe.url, `<xml><Encrypt>!!notbase64!!</Encrypt></xml>`, { ...signedQuery(), encrypt_type: 'aes' });
    expect(badCipher.status).toBe(401);
    expect(bot.turns).toBe(before);

    const alive = await postPlain(app.url, textXml(openId, 'still here', newMsgId()));
    expect(replyOf(await alive.text()).Content).toBe('echo: still here\n\nsecond line');
  });

  it('reads the size limit from the bytes received when there is no Content-Length', async () => {
    const chunk = new TextEncoder().encode('A'.repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 16; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${app.url}/api/wechat?${new URLSearchParams(signedQuery())}`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe('proactive messages', () => {
  it('continueConversationAsync delivers through the customer-service API (the handoff relay path)', async () => {
    await postPlain(app.url, textXml(openId, 'hello', newMsgId()));
    const reference = bot.references.at(-1)!;
    const sentBefore = api.sent.length;
    await app.adapter.continueConversationAsync('ignored-app-id', reference, async (context) => {
      await context.sendActivity('客服小王：您好，我来帮您处理。');
    });
    const sent = await api.waitForSent(sentBefore + 1);
    expect(sent.at(-1)!.body).toEqual({ touser: openId, msgtype: 'text', text: { content: '客服小王：您好，我来帮您处理。' } });
  });

  it('refuses to edit or delete sent messages', async () => {
    const reference = bot.references.at(-1)!;
    await app.adapter.continueConversationAsync('x', reference, async (context) => {
      await expect(context.updateActivity({ id: '1', text: 'edited' })).rejects.toThrow(/cannot be edited/);
      await expect(context.deleteActivity('1')).rejects.toThrow(/cannot be recalled/);
    });
  });
});
