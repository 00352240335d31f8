/**
 * Human handoff end to end on the real server: the cardholder over Direct Line, the agent through
 * the console API. The bot goes silent once a person has the case; messages travel both ways;
 * approvals are decided by the policy at the approver's authority; a hand-back raises the bot's
 * bounds; two agents can never own one case.
 */
import { describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { Cardholder } from '../support/fleet.js';
import { consoleLogin, useConsoleInstance } from '../support/console.js';

const shared = useConsoleInstance();

const login = (name: string, password: string) => consoleLogin(shared.instance.base, name, password);

async function cardholder(lines: string[]) {
  const c = await Cardholder.open(shared.instance, shared.instance);
  await c.greeted(shared.instance);
  for (const line of lines) await c.say(shared.instance, line);
  return c;
}

const botMessages = (log: Partial<Activity>[]) => log.filter((a) => a.from?.role === 'bot' && a.type === 'message').map((a) => a.text ?? '');
const eventsNamed = (log: Partial<Activity>[], name: string) => log.filter((a) => a.type === 'event' && a.name === name);
const NEGOTIATED = ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对'];

describe('handoff to a person', () => {
  it('queues the case with a packet, stays silent, relays both ways, and two agents cannot claim it', async () => {
    const c = await cardholder([...NEGOTIATED, '转人工']);
    const log = await c.log(shared.instance);
    expect(eventsNamed(log, 'handoff')[0]?.value).toMatchObject({ reason: 'request_human' });
    expect(eventsNamed(log, 'handoff.initiate')).toHaveLength(1);
    expect(botMessages(log).join('\n')).toMatch(/预计等待|下一位就是您/);

    const before = botMessages(await c.log(shared.instance)).length;
    await c.say(shared.instance, '你好，有人吗？');
    expect(botMessages(await c.log(shared.instance))).toHaveLength(before);

    const alice = await login('agent', 'agent-demo');
    const queue = await alice.get('queue');
    const ticket = queue.body.cases.find((t: any) => t.conversationId === c.conversationId);
    expect(ticket.packet).toMatchObject({
      reason: 'request_human',
      identity: { verified: true, accountId: 'cn-m1-wang' },
      account: { bucket: 'M1', currency: 'CNY', balanceMinor: 2_399_200 },
      situation: { hardshipReason: 'job_loss', incomeMinor: 800_000, expensesMinor: 300_000, maxMonthlyPaymentMinor: 250_000 },
    });
    expect(ticket.packet.offersMade[0]).toMatchObject({ offerId: 'installment-11', months: 11 });
    expect(ticket.packet.cardholderSaid).not.toContain('4821');

    const supervisor = await login('supervisor', 'supervisor-demo');
    const [a, b] = await Promise.all([alice.post(`cases/${c.conversationId}/claim`), supervisor.post(`cases/${c.conversationId}/claim`)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const owner = a.status === 200 ? alice : supervisor;

    const view = await owner.get(`cases/${c.conversationId}`);
    expect(view.body.transcript.some((r: any) => r.actor === 'cardholder' && r.payload.text === '你好，有人吗？')).toBe(true);
    expect((await owner.post(`cases/${c.conversationId}/messages`, { text: '您好，我是客服小李，请问有什么可以帮您？' })).status).toBe(200);
    expect(botMessages(await c.log(shared.instance))).toContain('您好，我是客服小李，请问有什么可以帮您？');
    const records = await shared.forbear.transcripts.read(c.conversationId);
    expect(records.some((r) => r.kind === 'activity' && r.actor === 'agent')).toBe(true);
    expect(records.some((r) => r.kind === 'decision' && r.payload.type === 'agent_action' && r.payload.action === 'claim')).toBe(true);

    expect((await owner.post(`cases/${c.conversationId}/close`, { outcome: 'resolved' })).status).toBe(400);
    expect((await owner.post(`cases/${c.conversationId}/close`, { disposition: 'whatever' })).status).toBe(400);
    expect((await owner.post(`cases/${c.conversationId}/close`, { disposition: 'resolved', note: '已解释还款方式' })).status).toBe(200);
    // The closing line, then the one optional feedback question (issue 17).
    expect(botMessages(await c.log(shared.instance)).slice(-2).join('\n')).toMatch(/结束本次服务[\s\S]*满意吗/);
    expect((await owner.get('queue')).body.cases.some((t: any) => t.conversationId === c.conversationId)).toBe(false);
  });

  it('approves within the approver authority only; the policy decides and the approver is recorded', async () => {
    const c = await cardholder([...NEGOTIATED, '每月只能还1500']);
    expect(eventsNamed(await c.log(shared.instance), 'handoff')[0]?.value).toMatchObject({ reason: 'out_of_authority', authorityNeeded: 'agent' });
    const alice = await login('agent', 'agent-demo');
    expect((await alice.post(`cases/${c.conversationId}/claim`)).status).toBe(200);

    const beyond = await alice.post(`cases/${c.conversationId}/approve`, { proposal: { months: 30 } });
    expect(beyond.status).toBe(403);
    expect(beyond.body.decision).toMatchObject({ outcome: 'handoff', handoff: { authorityNeeded: 'supervisor' } });
    expect(eventsNamed(await c.log(shared.instance), 'agreement')).toHaveLength(0);

    const within = await alice.post(`cases/${c.conversationId}/approve`, { proposal: { months: 18 } });
    expect(within.status).toBe(200);
    expect(within.body).toMatchObject({ outcome: 'accept', offer: { authority: 'agent', installment: { months: 18 } } });
    // An approval binds nobody: the cardholder sees every term and is asked to consent.
    let log = await c.log(shared.instance);
    expect(eventsNamed(log, 'agreement')).toHaveLength(0);
    const terms = log.filter((a) => a.type === 'message').at(-1)!;
    expect(terms.text).toMatch(/请在同意前仔细核对/);
    expect(terms.text).toMatch(/分 18 期/);
    expect(terms.text).toMatch(/分期年利率/);
    expect(terms.text).toMatch(/您共需还款/);
    expect(terms.text).toMatch(/未按期还款/);
    expect(terms.suggestedActions?.actions.map((a) => a.title)).toEqual(['同意', '暂不同意']);
    expect((terms.channelData as any).agent).toBe('林晓');
    expect((await alice.get(`cases/${c.conversationId}`)).body.ticket.awaitingConsent).toMatchObject({ by: 'agent', offer: { installment: { months: 18 } } });

    // Something else is relayed to the agent, not taken as consent.
    await c.say(shared.instance, '利息能再少点吗');
    expect(eventsNamed(await c.log(shared.instance), 'agreement')).toHaveLength(0);

    await c.say(shared.instance, '同意');
    log = await c.log(shared.instance);
    const agreement = eventsNamed(log, 'agreement')[0]?.value as any;
    expect(agreement).toMatchObject({ approvedBy: { role: 'agent', id: 'agent' }, consentText: '同意', offer: { installment: { months: 18 } } });
    expect(botMessages(log).join('\n')).toContain(agreement.reference);
    expect(await shared.forbear.stores.arrangements.listByConversation(c.conversationId)).toHaveLength(1);
    const after = (await alice.get(`cases/${c.conversationId}`)).body.ticket;
    expect(after).toMatchObject({ status: 'closed', outcome: 'arrangement', arrangement: { reference: agreement.reference, approvedBy: 'agent' } });
    const records = await shared.forbear.transcripts.read(c.conversationId);
    expect(records.filter((r) => r.kind === 'decision' && r.payload.type === 'consent')).toHaveLength(1);

    // A repeated yes changes nothing.
    await c.say(shared.instance, '同意');
    expect(eventsNamed(await c.log(shared.instance), 'agreement')).toHaveLength(1);
  });

  it('a cardholder can decline terms a person approved; nothing is created and the agent carries on', async () => {
    const c = await cardholder([...NEGOTIATED, '每月只能还1500']);
    const alice = await login('agent', 'agent-demo');
    expect((await alice.post(`cases/${c.conversationId}/claim`)).status).toBe(200);
    expect(botMessages(await c.log(shared.instance)).join('\n')).toContain('客服 林晓 已加入对话');
    expect((await alice.post(`cases/${c.conversationId}/approve`, { proposal: { months: 18 } })).status).toBe(200);
    await c.say(shared.instance, '暂不同意');
    expect(botMessages(await c.log(shared.instance)).at(-1)).toMatch(/不会生效/);
    await c.say(shared.instance, '同意');
    expect(eventsNamed(await c.log(shared.instance), 'agreement')).toHaveLength(0);
    expect(await shared.forbear.stores.arrangements.listByConversation(c.conversationId)).toHaveLength(0);
    expect((await alice.get(`cases/${c.conversationId}`)).body.ticket).toMatchObject({ status: 'claimed', awaitingConsent: null });
  });

  it('hands the conversation back to the bot with the agent bounds', async () => {
    const c = await cardholder([...NEGOTIATED, '每月只能还1500']);
    const alice = await login('agent', 'agent-demo');
    await alice.post(`cases/${c.conversationId}/claim`);
    expect((await alice.post(`cases/${c.conversationId}/return`)).status).toBe(200);
    const afterReturn = await c.log(shared.instance);
    expect(botMessages(afterReturn).join('\n')).toMatch(/我们继续/);
    // The ladder starts again, now drawn at agent authority.
    expect(eventsNamed(afterReturn, 'offer').at(-1)?.value).toMatchObject({ offer: { rank: 1, authority: 'agent' } });

    // The same request the bot had to pass on is now within its bounds.
    await c.say(shared.instance, '每月只能还1500');
    const log = await c.log(shared.instance);
    expect(eventsNamed(log, 'handoff')).toHaveLength(1);
    const offer = eventsNamed(log, 'offer').at(-1)?.value as any;
    expect(offer.offer.authority).toBe('agent');
    expect(offer.offer.installment.months).toBeGreaterThan(12);
    await c.say(shared.instance, '同意');
    expect(eventsNamed(await c.log(shared.instance), 'agreement')).toHaveLength(1);
  });

  it('hands off on vulnerability, dispute and unaffordability, most urgent first', async () => {
    const harm = await cardholder(['4821', '1988-03-14', '我真的不想活了']);
    const dispute = await cardholder(['4821', '1988-03-14', '这笔消费不是我刷的，我要申诉']);
    const unaffordable = await cardholder(['4821', '1988-03-14', '失业了', '月收入三千', '开支两千八', '对']);
    const agent = await login('agent', 'agent-demo');
    const queue: any[] = (await agent.get('queue')).body.cases;
    const reasons = Object.fromEntries(queue.map((t) => [t.conversationId, t.handoff]));
    expect(reasons[harm.conversationId]).toMatchObject({ reason: 'vulnerability', urgency: 'critical' });
    expect(reasons[dispute.conversationId]).toMatchObject({ reason: 'dispute' });
    expect(reasons[unaffordable.conversationId]).toMatchObject({ reason: 'unaffordable' });
    expect(queue[0].handoff.urgency).toBe('critical');
  });

  it('authorises every call on the server', async () => {
    const c = await cardholder(['转人工']);
    const anonymous = await fetch(`${shared.instance.base}/agent/api/queue`);
    expect(anonymous.status).toBe(401);
    const bearer = await fetch(`${shared.instance.base}/agent/api/queue`, { headers: { authorization: 'Bearer not-a-console-session' } });
    expect(bearer.status).toBe(401);
    expect((await fetch(`${shared.instance.base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: '{"name":"agent","password":"nope"}' })).status).toBe(401);
    const compliance = await login('compliance', 'compliance-demo');
    expect((await compliance.get('queue')).status).toBe(403);
    expect((await compliance.post(`cases/${c.conversationId}/claim`)).status).toBe(403);
    const agent = await login('agent', 'agent-demo');
    const cookie = (await fetch(`${shared.instance.base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: '{"name":"agent","password":"agent-demo"}' }))
      .headers.get('set-cookie')!.split(';')[0]!;
    const noCsrf = await fetch(`${shared.instance.base}/agent/api/cases/${c.conversationId}/claim`, { method: 'POST', headers: { cookie } });
    expect(noCsrf.status).toBe(403);
    expect((await agent.post(`cases/${c.conversationId}/approve`, { proposal: { months: 12 } })).status).toBe(409);
    expect((await agent.post(`cases/${c.conversationId}/messages`, { text: '' })).status).toBe(400);
  });
});
