/**
 * Escalation between people, over HTTP: an agent asks a supervisor for more authority without
 * handing over the chat; the supervisor sees the policy's computed offer and reasons before anything
 * is sent and approves or declines with a reason from their own queue; approved terms still need
 * the cardholder's consent. Plus release, transfer, notes, dispositions and the live event stream.
 */
import { describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { Cardholder } from '../support/fleet.js';
import { consoleLogin, useConsoleInstance } from '../support/console.js';
import { currencyOf, readableDecision } from '../../bot/transcripts/readable.js';

const shared = useConsoleInstance();

const login = (name: string, password: string) => consoleLogin(shared.instance.base, name, password);
const messages = (log: Partial<Activity>[]) => log.filter((a) => a.type === 'message');
const texts = (log: Partial<Activity>[]) => messages(log).map((a) => a.text ?? '');
const agreements = (log: Partial<Activity>[]) => log.filter((a) => a.type === 'event' && a.name === 'agreement');

async function handedOff(lines = ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '每月只能还1500']) {
  const c = await Cardholder.open(shared.instance, shared.instance);
  await c.greeted(shared.instance);
  for (const line of lines) await c.say(shared.instance, line);
  return c;
}

describe('escalation between people', () => {
  it('an agent asks a supervisor; the supervisor sees the computed offer, declines with a reason, then approves; the cardholder consents', async () => {
    const c = await handedOff();
    const agent = await login('agent', 'agent-demo');
    const supervisor = await login('supervisor', 'supervisor-demo');
    const id = c.conversationId;
    expect((await agent.post(`cases/${id}/claim`)).status).toBe(200);

    // Preview: nothing is sent, the policy answers at the agent's and a supervisor's authority.
    const before = messages(await c.log(shared.instance)).length;
    const preview = await agent.post(`cases/${id}/preview`, { proposal: { months: 30 } });
    expect(preview.status).toBe(200);
    expect(preview.body.previews.map((p: any) => [p.authority, p.decision.outcome])).toEqual([
      ['agent', 'handoff'],
      ['supervisor', 'accept'],
    ]);
    expect(preview.body.previews[1].decision.offer.installment.months).toBe(30);
    expect(messages(await c.log(shared.instance))).toHaveLength(before);

    // Beyond the agent: refused with a reason code the console translates.
    const beyond = await agent.post(`cases/${id}/approve`, { proposal: { months: 30 } });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error.reason).toBe('beyond_authority');

    // Not even a supervisor could: the request is refused before it reaches anyone.
    const impossible = await agent.post(`cases/${id}/approval-request`, { proposal: { months: 90 } });
    expect(impossible.status).toBe(403);
    expect(impossible.body.error.reason).toBe('not_within_any_authority');

    const asked = await agent.post(`cases/${id}/approval-request`, { proposal: { months: 30 }, note: '客户失业，预计半年内恢复收入' });
    expect(asked.status).toBe(200);
    expect((await agent.get('approvals')).status).toBe(403);
    const queue = (await supervisor.get('approvals')).body.cases;
    const request = queue.find((t: any) => t.conversationId === id);
    expect(request.approval).toMatchObject({ status: 'pending', requestedBy: 'agent', note: '客户失业，预计半年内恢复收入', offer: { installment: { months: 30 }, authority: 'supervisor' } });
    expect(request.approval.reasons.map((r: any) => r.ruleId).join(' ')).toMatch(/supervisor\.installment\.maxMonths/);
    // The agent keeps the chat; the supervisor never claimed it.
    expect(request.claimedBy.name).toBe('agent');

    expect((await supervisor.post(`cases/${id}/approval-request/decision`, { approve: false })).status).toBe(400);
    const declined = await supervisor.post(`cases/${id}/approval-request/decision`, { approve: false, reason: '请先核实收入证明' });
    expect(declined.status).toBe(200);
    const seen = (await agent.get(`cases/${id}`)).body.ticket;
    expect(seen.approval).toMatchObject({ status: 'declined', decidedBy: 'supervisor', decisionReason: '请先核实收入证明' });
    expect(messages(await c.log(shared.instance))).toHaveLength(before);
    expect((await supervisor.post(`cases/${id}/approval-request/decision`, { approve: true })).body.error.reason).toBe('no_request');

    expect((await agent.post(`cases/${id}/approval-request`, { proposal: { months: 30 }, note: '已核实' })).status).toBe(200);
    expect((await supervisor.post(`cases/${id}/approval-request/decision`, { approve: true, reason: '收入证明已核实' })).status).toBe(200);
    const log = await c.log(shared.instance);
    const terms = messages(log).at(-1)!;
    expect(terms.text).toMatch(/分 30 期/);
    expect(terms.text).toMatch(/未按期还款/);
    expect((terms.channelData as any).agent).toBe('陈静');
    expect(agreements(log)).toHaveLength(0);
    expect((await agent.get(`cases/${id}`)).body.ticket).toMatchObject({ status: 'claimed', claimedBy: { name: 'agent' }, awaitingConsent: { by: 'supervisor' } });

    await c.say(shared.instance, '同意');
    const done = agreements(await c.log(shared.instance));
    expect(done).toHaveLength(1);
    expect(done[0]!.value).toMatchObject({ approvedBy: { role: 'supervisor', id: 'supervisor' }, offer: { installment: { months: 30 } } });
    const actions = (await shared.forbear.transcripts.read(id)).flatMap((r) => (r.kind === 'decision' && r.payload.type === 'agent_action' ? [r.payload.action] : []));
    expect(actions).toEqual(expect.arrayContaining(['claim', 'approve_refused', 'request_approval', 'decline_request', 'approve_request']));
  });

  it('a supervisor resolves an "unaffordable" case within the policy\'s override, naming a reason; the cardholder consents', async () => {
    const c = await handedOff(['7305', '1979-11-02', '失业了', '月收入一万四', '开支一万三', '对']);
    const id = c.conversationId;
    const supervisor = await login('supervisor', 'supervisor-demo');
    const view = await supervisor.get(`cases/${id}`);
    expect(view.body.ticket.handoff.reason).toBe('unaffordable');
    expect(view.body.overrideReasons).toContain('income_recovering');
    expect((await supervisor.post(`cases/${id}/claim`)).status).toBe(200);
    expect((await supervisor.post(`cases/${id}/approve`, { proposal: { months: 60 } })).status).toBe(403);
    const unknown = await supervisor.post(`cases/${id}/approve`, { proposal: { months: 60 }, override: { reasonCode: 'because' } });
    expect(unknown.body.decision.reasons.map((r: any) => r.code)).toEqual(['override_reason_unknown']);
    const granted = await supervisor.post(`cases/${id}/approve`, { proposal: { months: 60 }, override: { reasonCode: 'income_recovering' } });
    expect(granted.status).toBe(200);
    expect(granted.body.reasons).toContainEqual({ code: 'affordability_override', ruleId: 'default-cn@2026.2:affordabilityOverride.maxShareOfDisposableBps.supervisor', detail: 'income_recovering' });
    await c.say(shared.instance, '同意');
    const [made] = agreements(await c.log(shared.instance));
    expect(made!.value).toMatchObject({ approvedBy: { role: 'supervisor' }, offer: { installment: { months: 60 } } });
    const records = await shared.forbear.transcripts.read(id);
    const evaluation = records.find((r) => r.kind === 'decision' && r.payload.type === 'policy_evaluation' && r.payload.outcome === 'accept');
    expect(JSON.stringify(evaluation)).toContain('affordabilityOverride.maxShareOfDisposableBps.supervisor');
    const action = records.find((r) => r.kind === 'decision' && r.payload.type === 'agent_action' && r.payload.action === 'approve_offer');
    expect(action?.payload).toMatchObject({ note: 'affordability override: income_recovering' });
  });

  it('the M2 case with ¥1,000 left over: an agent asks, a supervisor grants a token payment; the cardholder reads every term and consents; compliance sees the rule', async () => {
    const c = await handedOff(['7305', '1979-11-02', '失业了', '月收入一万四', '开支一万三', '对']);
    const id = c.conversationId;
    const agent = await login('agent', 'agent-demo');
    expect((await agent.get(`cases/${id}`)).body.ticket.handoff.reason).toBe('unaffordable');
    expect((await agent.post(`cases/${id}/claim`)).status).toBe(200);
    // ¥400 a month for 6 months: within the token's share (half of ¥1,000), beyond an agent's 3 months.
    const proposal = { tokenPaymentMinor: 40_000, months: 6 };
    const preview = (await agent.post(`cases/${id}/preview`, { proposal })).body.previews;
    expect(preview.map((p: any) => [p.authority, p.decision.outcome])).toEqual([['agent', 'handoff'], ['supervisor', 'accept']]);
    expect(preview[1].decision.offer.holding).toEqual({ kind: 'token_payment', reviewDate: expect.any(String), remainingMinor: 4_976_000 - 240_000 });
    // Too much for what is left over, even for a supervisor.
    const tooMuch = (await agent.post(`cases/${id}/preview`, { proposal: { tokenPaymentMinor: 60_000, months: 3 } })).body.previews;
    expect(tooMuch.map((p: any) => p.decision.reasons[0].code)).toEqual(['unaffordable', 'unaffordable']);
    expect((await agent.post(`cases/${id}/approve`, { proposal })).body.error.reason).toBe('beyond_authority');
    expect((await agent.post(`cases/${id}/approval-request`, { proposal, note: '刚失业，先小额还款半年' })).status).toBe(200);

    const supervisor = await login('supervisor', 'supervisor-demo');
    const request = (await supervisor.get('approvals')).body.cases.find((t: any) => t.conversationId === id);
    expect(request.approval).toMatchObject({ status: 'pending', offer: { offerId: 'token-6x40000', authority: 'supervisor', holding: { kind: 'token_payment' } } });
    expect((await supervisor.post(`cases/${id}/approval-request/decision`, { approve: true, reason: '收入恢复前的过渡' })).status).toBe(200);

    const terms = messages(await c.log(shared.instance)).at(-1)!;
    expect(terms.text).toContain('临时小额还款：每月还款 ¥400.00，共 6 期');
    expect(terms.text).toContain('停止计息');
    expect(terms.text).toContain('结束时仍欠 ¥47,360.00');
    expect(terms.text).toMatch(/前客服会与您一起复核/);
    expect(terms.text).toMatch(/未按期还款/);
    expect(agreements(await c.log(shared.instance))).toHaveLength(0);
    await c.say(shared.instance, '同意');
    const [made] = agreements(await c.log(shared.instance));
    expect(made!.value).toMatchObject({ approvedBy: { role: 'supervisor' }, offer: { offerId: 'token-6x40000', totalRepayableMinor: 240_000, holding: { kind: 'token_payment' } } });
    expect(texts(await c.log(shared.instance)).some((t) => /前客服会联系您，一起复核本安排/.test(t))).toBe(true);

    // Compliance reads the offer in words with the rule that allowed it and the policy version.
    const records = await shared.forbear.transcripts.read(id);
    const shown = records.find((r) => r.kind === 'decision' && r.payload.type === 'offer_shown');
    expect(JSON.stringify(shown)).toContain('default-cn@2026.2:peopleArrangements.tokenPayment.maxMonths.supervisor');
    const reviewer = await login('compliance', 'compliance-demo');
    const view = await fetch(`${shared.instance.base}/compliance/api/conversations/${id}`, { headers: { cookie: reviewer.cookie } });
    const notes = Object.values(((await view.json()) as any).annotations).flat() as any[];
    const fields = notes.find((d) => d.title === '展示方案').fields;
    expect(fields.find((f: any) => f.label === '条款').value).toContain('临时小额还款');
    expect(fields.find((f: any) => f.label === '规则').value).toContain('peopleArrangements.tokenPayment.maxMonths.supervisor');
    expect(fields.find((f: any) => f.label === '政策').value).toBe('default-cn@2026.2');
    // The evaluation's reasons in words before each rule id, not codes.
    const accepted = records.find((r) => r.kind === 'decision' && r.payload.type === 'policy_evaluation' && r.payload.outcome === 'accept')!;
    const evaluation = readableDecision(accepted as Parameters<typeof readableDecision>[0], 'zh-CN', currencyOf(records));
    expect(evaluation.fields.find((f) => f.label === '规则')!.value).toContain('在权限范围内: default-cn@2026.2:peopleArrangements.tokenPayment.maxMonths.supervisor');
  });

  it('release, transfer, notes and dispositions from the configured list', async () => {
    const c = await handedOff(['4821', '1988-03-14', '转人工']);
    const id = c.conversationId;
    const agent = await login('agent', 'agent-demo');
    const supervisor = await login('supervisor', 'supervisor-demo');
    expect((await agent.post(`cases/${id}/claim`)).status).toBe(200);
    expect(texts(await c.log(shared.instance)).at(-1)).toBe('客服 林晓 已加入对话，接下来由真人为您服务。');

    expect((await supervisor.post(`cases/${id}/messages`, { text: '你好' })).body.error.reason).toBe('not_owner');
    expect((await agent.post(`cases/${id}/release`)).status).toBe(200);
    expect(texts(await c.log(shared.instance)).at(-1)).toBe('客服 林晓 已离开对话。');
    expect((await agent.get(`cases/${id}`)).body.ticket).toMatchObject({ status: 'waiting', claimedBy: null });

    expect((await agent.post(`cases/${id}/claim`)).status).toBe(200);
    const nobody = await agent.post(`cases/${id}/transfer`, { to: 'nobody' });
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.reason).toBe('no_such_user');
    expect((await agent.post(`cases/${id}/transfer`, { to: 'compliance' })).status).toBe(404);
    expect((await agent.post(`cases/${id}/transfer`, { to: 'supervisor' })).status).toBe(200);
    expect(texts(await c.log(shared.instance)).at(-1)).toBe('您的对话已转给客服 陈静。');
    expect((await agent.post(`cases/${id}/messages`, { text: '还在吗' })).status).toBe(409);
    expect((await supervisor.post(`cases/${id}/messages`, { text: '您好，我是主管。' })).status).toBe(200);

    expect((await supervisor.post(`cases/${id}/notes`, { text: '客户要求下周回电' })).status).toBe(200);
    expect((await supervisor.post(`cases/${id}/notes`, { text: '   ' })).status).toBe(400);
    const config = (await supervisor.get('config')).body;
    expect(config.dispositions).toContain('callback_arranged');
    expect(config.colleagues.map((u: any) => u.name)).toEqual(['agent', 'supervisor']);
    expect((await supervisor.post(`cases/${id}/close`, { disposition: 'whatever' })).status).toBe(400);
    expect((await supervisor.post(`cases/${id}/close`, { disposition: 'callback_arranged' })).status).toBe(200);
    const ticket = (await supervisor.get(`cases/${id}`)).body.ticket;
    expect(ticket).toMatchObject({ status: 'closed', outcome: 'callback_arranged', notes: [{ by: 'supervisor', text: '客户要求下周回电' }] });
  });

  it('pushes the queue to an open console as Server-Sent Events when a case arrives', async () => {
    const agent = await login('agent', 'agent-demo');
    const controller = new AbortController();
    const res = await fetch(`${shared.instance.base}/agent/api/events`, { headers: { cookie: agent.cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<{ event: string; data: any }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)![1]!;
          return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const first = await nextEvent();
    expect(first.event).toBe('queue');
    const c = await handedOff(['4821', '1988-03-14', '我真的不想活了']);
    let update = await nextEvent();
    while (!update.data.cases.some((t: any) => t.conversationId === c.conversationId)) update = await nextEvent();
    const ticket = update.data.cases.find((t: any) => t.conversationId === c.conversationId);
    expect(ticket.handoff).toMatchObject({ reason: 'vulnerability', urgency: 'critical' });
    expect(update.data.heads[c.conversationId]).toBeGreaterThan(0);
    controller.abort();
  });
});
