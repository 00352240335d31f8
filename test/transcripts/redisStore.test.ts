import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { verifyConversation } from '../../bot/transcripts/store.js';
import { conversationEntries, testSealing } from './fixtures.js';

const PREFIX = `test:transcripts:${process.pid}:${Date.now()}:`;
const sealing = testSealing();
const clients: Redis[] = [];
const connect = () => {
  const c = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  // Fails, not skips, when Redis is down: these tests are the only proof the Lua append works.
  const probe = connect();
  await probe.connect();
  expect(await probe.ping()).toBe('PONG');
});

afterAll(async () => {
  const c = clients[0]!;
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    if (keys.length) await c.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  for (const client of clients) client.disconnect();
});

describe('RedisTranscriptStore', () => {
  it('appends, reads back, verifies and summarises a conversation', async () => {
    const store = new RedisTranscriptStore(clients[0]!, PREFIX, sealing);
    for (const e of conversationEntries()) await store.append('conv-a', e);
    const records = await store.read('conv-a');
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await verifyConversation(store, 'conv-a')).toEqual({ ok: true, records: 9 });
    expect(await store.head('conv-a')).toEqual({ seq: 9, hash: records[8]!.hash });
    const summary = await store.summary('conv-a');
    expect(summary).toMatchObject({ accountId: 'acct-1', language: 'zh-CN', outcome: 'arrangement', policyVersions: ['default-cn@2024.1'], records: 9 });
    expect(summary?.startedAt).toBe('2024-05-01T02:00:00.000Z');
  });

  it('detects a stream entry deleted with XDEL and a tail cut with XTRIM', async () => {
    const c = clients[0]!;
    const store = new RedisTranscriptStore(c, PREFIX, sealing);
    for (const e of conversationEntries()) await store.append('conv-del', e);
    for (const e of conversationEntries()) await store.append('conv-trunc', e);
    const key = (id: string) => `${PREFIX}{conv:${id}}:transcript`;
    await c.xdel(key('conv-del'), '4-0');
    expect(await verifyConversation(store, 'conv-del')).toEqual({ ok: false, firstBadSeq: 4, problem: 'deleted' });
    // Cut the tail: the chain that remains is internally perfect, only the head shows the loss.
    for (const id of ['7-0', '8-0', '9-0']) await c.xdel(key('conv-trunc'), id);
    expect(await verifyConversation(store, 'conv-trunc')).toEqual({ ok: false, firstBadSeq: 7, problem: 'truncated' });
  });

  it('lists conversations by date range and filters', async () => {
    const store = new RedisTranscriptStore(clients[0]!, `${PREFIX}list:`, sealing);
    const day1 = conversationEntries('2024-06-01T10:00:00.000Z');
    const day2 = conversationEntries('2024-06-02T10:00:00.000Z').slice(0, 4);
    for (const e of day1) await store.append('d1', e);
    for (const e of day2) await store.append('d2', e);
    expect((await store.listConversations({ from: '2024-06-01', to: '2024-06-01' })).map((s) => s.conversationId)).toEqual(['d1']);
    expect((await store.listConversations({ from: '2024-06-01', to: '2024-06-02' })).map((s) => s.conversationId)).toEqual(['d1', 'd2']);
    expect((await store.listConversations({ outcome: 'abandoned' })).map((s) => s.conversationId)).toEqual(['d2']);
    expect((await store.listConversations({ outcome: 'arrangement', policyVersion: '2024.1' })).map((s) => s.conversationId)).toEqual(['d1']);
    expect(await store.listConversations({ from: '2024-06-03' })).toEqual([]);
  });

  it('finds a conversation by any person who acted on it, not only the last (the agent filter)', async () => {
    const store = new RedisTranscriptStore(clients[0]!, `${PREFIX}agents:`, sealing);
    const entries = conversationEntries('2024-06-05T10:00:00.000Z').slice(0, 3);
    for (const e of entries) await store.append('t1', e);
    const action = (agentId: string, action: string) =>
      store.append('t1', {
        kind: 'decision',
        actor: 'agent',
        at: '2024-06-05T10:30:00.000Z',
        payload: { type: 'agent_action', agentId, role: 'agent', action, authority: 'agent', offerId: null, note: null },
      });
    await action('agent-a', 'claim');
    await action('agent-b', 'transfer');
    await action('agent-b', 'message');
    const by = async (agentId: string) => (await store.listConversations({ agentId })).map((s) => s.conversationId);
    // On the old summary (last actor only) agent-a no longer found the case they claimed and transferred.
    expect(await by('agent-a')).toEqual(['t1']);
    expect(await by('agent-b')).toEqual(['t1']);
    expect(await by('agent-c')).toEqual([]);
    expect((await store.summary('t1'))!.agents).toEqual(['agent-a', 'agent-b']);
  });

  it('never forks the chain under concurrent appends from two clients', async () => {
    const a = connect();
    const b = connect();
    await Promise.all([a.connect(), b.connect()]);
    const storeA = new RedisTranscriptStore(a, PREFIX, sealing);
    const storeB = new RedisTranscriptStore(b, PREFIX, sealing);
    const entry = (actor: 'bot' | 'agent', i: number) =>
      ({ kind: 'activity', actor, at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), payload: { type: 'message', text: `${actor} ${i}` } }) as const;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? storeA.append('race', entry('bot', i)) : storeB.append('race', entry('agent', i)))),
    );
    expect(new Set(results.map((r) => r.seq)).size).toBe(40);
    const { records, head } = await storeA.stored('race');
    expect(records).toHaveLength(40);
    expect(sealing.chain.verify(records, { head })).toEqual({ ok: true, records: 40 });
    expect((await storeB.summary('race'))?.records).toBe(40);
  });

  it('removes a conversation and logs the removal in a hash-chained retention log', async () => {
    const store = new RedisTranscriptStore(clients[0]!, `${PREFIX}ret:`, sealing);
    for (const e of conversationEntries()) await store.append('old', e);
    const head = await store.head('old');
    const logged = await store.remove('old', 'retention: older than 1095 days', new Date('2028-01-01T00:00:00Z'));
    expect(logged).toMatchObject({ conversationId: 'old', records: 9, head, seq: 1 });
    expect(await store.read('old')).toEqual([]);
    expect(await store.head('old')).toBeNull();
    expect(await store.listConversations({})).toEqual([]);
    expect(await store.remove('old', 'again')).toBeNull();
    const log = await store.retentionLog();
    expect(log.records.map((r) => r.conversationId)).toEqual(['old']);
    expect(sealing.chain.verify(log.records, { head: log.head })).toEqual({ ok: true, records: 1 });
  });
});
