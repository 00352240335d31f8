/**
 * Handoff across instances sharing Redis: the cardholder talks to instance A, the agent works on
 * instance B. The queue, the claim, the packet, the relay both ways and the approval all go
 * through the shared stores, so neither side needs to know which instance the other is on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../support/redis.js';
import { Cardholder, botTexts, events, setUpOnce, startInstance, type Instance } from '../scale/fleet.js';

const redis = useTestRedis('handoff-scale');
let a: Instance;
let b: Instance;

setUpOnce(async () => {
  const settings = { url: redis().url, prefix: redis().prefix };
  [a, b] = await Promise.all([startInstance('a', settings), startInstance('b', settings)]);
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.server.close()]);
});

async function consoleOn(on: Instance, name: string, password: string) {
  const login = await fetch(`${on.base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify({ name, password }) });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${on.base}/agent/api/${path}`, {
      method,
      headers: { cookie, 'x-forbear-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
}

describe('handoff across two instances', () => {
  it('an agent on B serves a cardholder on A: claim race, relay both ways, approval', async () => {
    const c = await Cardholder.open(a, a);
    await c.greeted(a);
    for (const line of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '每月只能还1500']) await c.say(a, line);
    expect(events(await c.log(a), 'handoff')).toHaveLength(1);

    // Two agents, one per instance, race for the case: the shared compare-and-set picks one.
    const onA = await consoleOn(a, 'supervisor', 'supervisor-demo');
    const onB = await consoleOn(b, 'agent', 'agent-demo');
    const queue = (await onB('GET', 'queue')).body.cases;
    expect(queue.map((t: any) => t.conversationId)).toContain(c.conversationId);
    const [fromA, fromB] = await Promise.all([onA('POST', `cases/${c.conversationId}/claim`, {}), onB('POST', `cases/${c.conversationId}/claim`, {})]);
    expect([fromA.status, fromB.status].sort()).toEqual([200, 409]);
    const owner = fromB.status === 200 ? onB : onA;

    await c.say(a, '请问我的情况能怎么办？');
    const seen = await owner('GET', `cases/${c.conversationId}`);
    expect(seen.body.transcript.some((r: any) => r.actor === 'cardholder' && r.payload.text === '请问我的情况能怎么办？')).toBe(true);

    expect((await owner('POST', `cases/${c.conversationId}/messages`, { text: '我来帮您看看，可以为您分18期。' })).status).toBe(200);
    expect(botTexts(await c.log(a))).toContain('我来帮您看看，可以为您分18期。');

    const approved = await owner('POST', `cases/${c.conversationId}/approve`, { proposal: { months: 18 } });
    expect(approved.status).toBe(200);
    // The approval shows the terms; the cardholder's consent, on their instance, concludes the arrangement.
    expect(events(await c.log(a), 'agreement')).toHaveLength(0);
    await c.say(a, '同意');
    const agreements = events(await c.log(a), 'agreement');
    expect(agreements).toHaveLength(1);
    const reference = (agreements[0]!.value as { reference: string }).reference;
    expect(await a.forbear.stores.arrangements.get(reference)).toMatchObject({ offer: { installment: { months: 18 } } });
  });
});
