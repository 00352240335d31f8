/**
 * The real bot on the real server over WeChat safe mode: a follower negotiates to an agreement,
 * answering the offer's buttons with numbers ("回复 1 接受"), and a retried MsgId never runs twice.
 */
import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForbear, type Forbear } from '../../../bot/app.js';
import { fixedClock } from '../../../conversation/clock.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { startServer, type RunningServer } from '../../../bot/server.js';
import { AES_KEY, APPID, cipher, FakeWeChatApi, newMsgId, postSafe, textXml, TOKEN } from './helpers.js';
import { consoleLogin } from '../../support/console.js';

const parser = new XMLParser({ parseTagValue: false });
let api: FakeWeChatApi;
let running: RunningServer;
let forbear: Forbear;

beforeAll(async () => {
  api = new FakeWeChatApi();
  await api.start();
  const env = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    WECHAT_TOKEN: TOKEN,
    WECHAT_APPID: APPID,
    WECHAT_APPSECRET: 'test-secret',
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    WECHAT_API_BASE: api.url,
  };
  const config = loadConfig(env);
  forbear = await createForbear({ config, clock: fixedClock('2026-11-22T02:00:00Z'), logger: createLogger('silent') });
  running = await startServer(forbear, config);
});

afterAll(async () => {
  await running?.close();
  await api?.stop();
});

/** The decrypted passive reply's text. */
async function reply(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const envelope = parser.parse(await response.text()).xml as { Encrypt: string };
  return (parser.parse(cipher.decrypt(envelope.Encrypt)).xml as { Content: string }).Content;
}

describe('WeChat with the real bot', () => {
  it('negotiates to an agreement with numbered choices, and a retried MsgId is one turn', async () => {
    const base = running.url.replace(/\/$/, '');
    const openId = `oReal_${randomBytes(4).toString('hex')}`;
    const send = async (text: string) => reply(await postSafe(base, textXml(openId, text, newMsgId())));

    const opening = await send('我失业了，这个月还不上');
    expect(opening).toMatch(/智能助理/);
    expect(opening).toMatch(/后4位/);
    expect(await send('4821')).toMatch(/出生日期/);
    expect(await send('1988-03-14')).toMatch(/身份核实成功/);
    expect(await send('月收入八千')).toMatch(/生活开支/);
    expect(await send('开支三千')).toMatch(/必要开销 ¥3,000.00，对吗/);
    const offer = await send('对');
    expect(offer).toMatch(/分 11 期，每月还款 ¥2,291.66/);
    expect(offer).toMatch(/回复 1.*接受/);
    expect(await send('1')).toMatch(/请在同意前仔细核对/);

    const consent = textXml(openId, '同意', newMsgId());
    const [first, retry] = await Promise.all([postSafe(base, consent), postSafe(base, consent)]);
    const texts = [await reply(first), await reply(retry)];
    for (const text of texts) expect(text).toMatch(/协议编号：FB-/);
    const arrangements = await forbear.stores.arrangements.listByConversation(`wechat:${openId}`);
    expect(arrangements).toHaveLength(1);
    expect(texts[0]).toContain(arrangements[0]!.reference);
  });

  it("a person's terms reach the follower labelled with their name and bind only after the follower's numbered 同意", async () => {
    const base = running.url.replace(/\/$/, '');
    const openId = `oPerson_${randomBytes(4).toString('hex')}`;
    const send = async (text: string) => reply(await postSafe(base, textXml(openId, text, newMsgId())));
    await send('你好');
    await send('4821');
    await send('1988-03-14');
    await send('失业了');
    await send('月收入八千');
    await send('开支三千');
    await send('对');
    expect(await send('每月只能还1500')).toMatch(/有权限的工作人员/);

    const agent = await consoleLogin(base, 'agent', 'agent-demo');
    const conversationId = `wechat:${openId}`;
    const pushed = () => api.sent.filter((m) => JSON.stringify(m.body).includes(openId)).map((m) => (m.body as { text?: { content: string } }).text?.content ?? '');
    expect((await agent.post(`cases/${encodeURIComponent(conversationId)}/claim`)).status).toBe(200);
    // The notice names the person once; the label is for a person's own words.
    await expect.poll(() => pushed().some((t) => t.startsWith('客服 林晓 已加入对话'))).toBe(true);
    expect((await agent.post(`cases/${encodeURIComponent(conversationId)}/approve`, { proposal: { months: 18 } })).status).toBe(200);
    await expect.poll(() => pushed().find((t) => t.includes('请在同意前仔细核对'))).toBeTruthy();
    const terms = pushed().find((t) => t.includes('请在同意前仔细核对'))!;
    expect(terms).toMatch(/^【客服 林晓】/);
    expect(terms).toMatch(/分 18 期/);
    expect(terms).toMatch(/第 18 期/);
    expect(terms).toMatch(/回复 1 同意\n回复 2 暂不同意$/);
    expect(await forbear.stores.arrangements.listByConversation(conversationId)).toHaveLength(0);

    expect(await send('1')).toMatch(/协议编号：FB-/);
    const [made] = await forbear.stores.arrangements.listByConversation(conversationId);
    expect(made).toMatchObject({ approvedBy: { role: 'agent', id: 'agent' }, consentText: '同意', offer: { installment: { months: 18 } } });
  });
});
