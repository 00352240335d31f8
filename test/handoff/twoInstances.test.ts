/**
 * Handoff across instances sharing Redis: the cardholder talks to instance A, the agent works on
 * instance B. The queue, the claim, the packet, the relay both ways and the approval all go
 * through the shared stores, so neither side needs to know which instance the other is on.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RedisKeyValueStore } from '../../bot/storage/keyValue.js';
import { RedisRankedSet } from '../../bot/storage/sets.js';
import { useTestRedis } from '../support/redis.js';
import { consoleLogin } from '../support/console.js';
import { Cardholder, botTexts, events, useTwoInstances } from '../support/fleet.js';

const redis = useTestRedis('handoff-scale');
const two = useTwoInstances(() => ({ url: redis().url, prefix: redis().prefix }));

describe('handoff across two instances', () => {
  it('an agent on B serves a cardholder on A: claim race, relay both ways, approval', async () => {
    const c = await Cardholder.open(two.a, two.a);
    await c.greeted(two.a);
    for (const line of ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '每月只能还1500']) await c.say(two.a, line);
    expect(events(await c.log(two.a), 'handoff')).toHaveLength(1);

    // Two agents, one per instance, race for the case: the shared compare-and-set picks one.
    const onA = await consoleLogin(two.a.base, 'supervisor', 'supervisor-demo');
    const onB = await consoleLogin(two.b.base, 'agent', 'agent-demo');
    const queue = (await onB.get('queue')).body.cases;
    expect(queue.map((t: any) => t.conversationId)).toContain(c.conversationId);
    const [fromA, fromB] = await Promise.all([onA.post(`cases/${c.conversationId}/claim`), onB.post(`cases/${c.conversationId}/claim`)]);
    expect([fromA.status, fromB.status].sort()).toEqual([200, 409]);
    const owner = fromB.status === 200 ? onB : onA;

    await c.say(two.a, '请问我的情况能怎么办？');
    const seen = await owner.get(`cases/${c.conversationId}`);
    expect(seen.body.transcript.some((r: any) => r.actor === 'cardholder' && r.payload.text === '请问我的情况能怎么办？')).toBe(true);

    expect((await owner.post(`cases/${c.conversationId}/messages`, { text: '我来帮您看看，可以为您分18期。' })).status).toBe(200);
    expect(botTexts(await c.log(two.a))).toContain('我来帮您看看，可以为您分18期。');

    const approved = await owner.post(`cases/${c.conversationId}/approve`, { proposal: { months: 18 } });
    expect(approved.status).toBe(200);
    // The approval shows the terms; the cardholder's consent, on their instance, concludes the arrangement.
    expect(events(await c.log(two.a), 'agreement')).toHaveLength(0);
    await c.say(two.a, '同意');
    const agreements = events(await c.log(two.a), 'agreement');
    expect(agreements).toHaveLength(1);
    const reference = (agreements[0]!.value as { reference: string }).reference;
    expect(await two.a.forbear.stores.arrangements.get(reference)).toMatchObject({ offer: { installment: { months: 18 } } });
  });

  it('a queue an earlier version left as one list still shows every case, moved into the ranked queue', async () => {
    const c = await Cardholder.open(two.a, two.a);
    await c.greeted(two.a);
    for (const line of ['4821', '1988-03-14', '我想找人工客服']) await c.say(two.a, line);
    expect(events(await c.log(two.a), 'handoff')).toHaveLength(1);
    // As the earlier version stored it: the case in the one-list record, not in the ranked set.
    const { client, keys } = await redis().connect('legacy-queue');
    const ranked = new RedisRankedSet(client, keys, 'handoff-queue');
    await ranked.remove(c.conversationId);
    const legacy = new RedisKeyValueStore(client, keys, {
      namespace: 'handoff-queue',
      schema: z.array(z.object({ conversationId: z.string(), urgency: z.string(), openedAt: z.string() })),
      scope: 'global',
    });
    await legacy.set('open', [
      { conversationId: c.conversationId, urgency: 'normal', openedAt: '2026-11-22T01:00:00.000Z' },
      // An opening time that does not parse: its score would be NaN, which Redis refuses.
      { conversationId: 'edited-by-hand', urgency: 'normal', openedAt: 'yesterday' },
    ]);

    const agent = await consoleLogin(two.b.base, 'agent', 'agent-demo');
    expect((await agent.get('queue')).body.cases.map((t: any) => t.conversationId)).toContain(c.conversationId);
    expect(await legacy.get('open')).toEqual([]);
    expect((await ranked.entries()).map(([member]) => member)).toEqual(expect.arrayContaining([c.conversationId, 'edited-by-hand']));
  });
});
