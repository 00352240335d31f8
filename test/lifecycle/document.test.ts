/**
 * The agreement document after a real negotiation: the link said in the channel opens a printable
 * 还款协议 with the schedule, consequences, policy and the hash of the consent record; nobody
 * without the token (or a console session) can open it; the console's panel API lists the ledger.
 */
import type { Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PATIENCE_MS } from '../support/until.js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { startForbear, type RealServer } from '../support/server.js';
import { consoleLogin } from '../support/console.js';

let server: RealServer;
let adapter: LocalAdapter;

beforeAll(async () => {
  server = await startForbear();
  adapter = new LocalAdapter(server.forbear.bot, 'test');
  adapter.use(server.forbear.transcriptMiddleware);
});
afterAll(() => server.running.close());

const textsOf = (activities: Partial<Activity>[]) => activities.filter((a) => a.type === 'message').map((a) => a.text ?? '');

describe('the agreement document', () => {
  it('is linked in the channel, holds the terms and the consent hash, and needs the token or a console session', async () => {
    await adapter.join('doc-1', {});
    let said: string[] = [];
    for (const line of ['我失业了', '4821', '1988-03-14', '每月八千', '房租和生活费三千', '对', '接受', '同意']) said = textsOf(await adapter.send('doc-1', { text: line }));
    const linkLine = said.find((t) => t.includes('/arrangements/'))!;
    expect(linkLine).toContain('还款协议');
    const link = /\/arrangements\/\S+/.exec(linkLine)![0];
    const [a] = await server.forbear.stores.arrangements.listByConversation('doc-1');

    const page = await fetch(`${server.base}${link}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>还款协议</h1>');
    expect(html).toContain(a!.reference);
    expect(html.match(/<tr><td>/g)).toHaveLength(a!.offer.installment!.schedule.length);
    expect(html).toContain(`${a!.policyId}@${a!.policyVersion}`);
    expect(html).toContain('累计 2 期未按期还款');
    const consent = (await server.forbear.transcripts.read('doc-1')).find((r) => r.kind === 'decision' && r.payload.type === 'consent')!;
    expect(html).toContain(consent.hash);
    expect(html).not.toContain('cn-m1-wang');

    const bare = link.split('?')[0]!;
    expect((await fetch(`${server.base}${bare}`)).status).toBe(403);
    expect((await fetch(`${server.base}${bare}?token=${'A'.repeat(32)}`)).status).toBe(403);
    const otherRef = bare.replace(a!.reference, 'FB-2026-AAAA-BBBB');
    expect((await fetch(`${server.base}${otherRef}?${link.split('?')[1]}`)).status).toBe(403);

    const agent = await consoleLogin(server.base, 'agent', 'agent-demo');
    expect((await fetch(`${server.base}${bare}`, { headers: { cookie: agent.cookie } })).status).toBe(200);
    const panel = await agent.get('arrangements/doc-1');
    expect(panel.status).toBe(200);
    expect(panel.body.arrangements[0].ledger.instalments).toHaveLength(a!.offer.installment!.schedule.length);
    expect((await fetch(`${server.base}/agent/api/arrangements/doc-1`)).status).toBe(401);

    // A call-back the agent promised: validated, scheduled through the gate, recorded as the agent's action.
    expect((await agent.post('arrangements/doc-1/callback', { at: 'tomorrow' })).status).toBe(400);
    expect((await agent.post('arrangements/doc-1/callback', { at: '2020-01-01T00:00:00Z' })).status).toBe(400);
    expect((await agent.post('arrangements/doc-1/callback', { at: '2026-11-23T07:00:00Z' })).status).toBe(202);
    const compliance = await consoleLogin(server.base, 'compliance', 'compliance-demo');
    expect((await compliance.post('arrangements/doc-1/callback', { at: '2026-11-23T07:00:00Z' })).status).toBe(403);
    const records = await server.forbear.transcripts.read('doc-1');
    expect(records.some((r) => r.kind === 'decision' && r.payload.type === 'agent_action' && r.payload.action === 'promise_callback')).toBe(true);
    await vi.waitFor(async () => expect((await server.forbear.lifecycle.inbox.peek('cn-m1-wang')).map((m) => m.messageKey)).toContain('lifecycle.callback'), { timeout: PATIENCE_MS });
  });
});
