import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { verifyConversation } from '../../bot/transcripts/store.js';
import { complete, conversationEntries, testSealing } from './fixtures.js';

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
    // Unpacked, so single batches can be deleted (a packed stream is one entry: see the pack tests).
    const store = new RedisTranscriptStore(c, PREFIX, sealing, { packOnOutcome: false });
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
      complete({ kind: 'activity', actor, at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), payload: { type: 'message', text: `${actor} ${i}` } });
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

  describe('packing a conversation that has an outcome', () => {
    const key = (prefix: string, id: string) => `${prefix}{conv:${id}}:transcript`;

    it('keeps the same records in one entry, the chain verifying, in fewer bytes; later appends go on', async () => {
      const c = clients[0]!;
      const prefix = `${PREFIX}pack:`;
      const packing = new RedisTranscriptStore(c, prefix, sealing);
      const plain = new RedisTranscriptStore(c, `${PREFIX}unpacked:`, sealing, { packOnOutcome: false });
      // One record a turn, as a conversation of single-record turns; the last gives the outcome.
      for (const e of conversationEntries()) {
        await packing.append('packed', e);
        await plain.append('packed', e);
      }
      expect(await c.xlen(key(prefix, 'packed'))).toBe(1);
      expect(await c.xlen(key(`${PREFIX}unpacked:`, 'packed'))).toBe(9);
      expect(await packing.read('packed')).toEqual(await plain.read('packed'));
      expect(await verifyConversation(packing, 'packed')).toEqual({ ok: true, records: 9 });
      // The stored values (Redis's MEMORY USAGE of so short a stream is one allocation size either way).
      const bytes = async (p: string) => (await c.xrangeBuffer(key(p, 'packed'), '-', '+')).reduce((n, [, fields]) => n + fields[1]!.length, 0);
      expect(await bytes(prefix)).toBeLessThan((await bytes(`${PREFIX}unpacked:`)) * 0.8);
      // The conversation goes on after its outcome (the feedback question): appends extend the packed chain.
      const after = await packing.append('packed', complete({ kind: 'activity', actor: 'cardholder', at: '2024-05-01T02:05:00.000Z', payload: { type: 'message', text: '5' } }));
      expect(after.seq).toBe(10);
      expect(await c.xlen(key(prefix, 'packed'))).toBe(2);
      expect(await verifyConversation(packing, 'packed')).toEqual({ ok: true, records: 10 });
      expect(await c.exists(`${key(prefix, 'packed')}:packing`)).toBe(0);
    });

    it('is compare-and-set: an append between its read and its write leaves the old stream and the new record', async () => {
      const c = connect();
      await c.connect();
      const prefix = `${PREFIX}pack-race:`;
      const store = new RedisTranscriptStore(c, prefix, sealing, { packOnOutcome: false });
      const other = new RedisTranscriptStore(clients[0]!, prefix, sealing);
      for (const e of conversationEntries()) await store.append('raced', e);
      const commands = c as unknown as Record<string, (...args: unknown[]) => Promise<number>>;
      const write = commands['transcriptPack']!;
      // Another instance appends after this pack read the stream and before its script runs.
      commands['transcriptPack'] = async (...args: unknown[]) => {
        await other.append('raced', complete({ kind: 'activity', actor: 'bot', at: '2024-05-01T02:06:00.000Z', payload: { type: 'message', text: 'late' } }));
        return write.apply(c, args);
      };
      expect(await store.pack('raced')).toBe(false);
      commands['transcriptPack'] = write;
      expect(await c.xlen(key(prefix, 'raced'))).toBe(10);
      expect(await verifyConversation(store, 'raced')).toEqual({ ok: true, records: 10 });
      expect(await store.pack('raced')).toBe(true);
      expect(await c.xlen(key(prefix, 'raced'))).toBe(1);
      expect(await verifyConversation(store, 'raced')).toEqual({ ok: true, records: 10 });
    });

    it('leaves the old stream whole when its write fails inside Redis', async () => {
      const c = clients[0]!;
      const prefix = `${PREFIX}pack-fail:`;
      const store = new RedisTranscriptStore(c, prefix, sealing, { packOnOutcome: false });
      for (const e of conversationEntries()) await store.append('failing', e);
      const before = await c.xrangeBuffer(key(prefix, 'failing'), '-', '+');
      const head = await c.hgetall(`${key(prefix, 'failing')}:head`);
      const run = (c as unknown as Record<string, (...args: unknown[]) => Promise<number>>)['transcriptPack']!;
      // The head and count match, so the script gets to its writes; the id 0-0 makes XADD fail there.
      const keys = [key(prefix, 'failing'), `${key(prefix, 'failing')}:head`, `${key(prefix, 'failing')}:packing`];
      await expect(run.call(c, ...keys, head.seq, head.hash, before.length, '0-0', Buffer.from('[]'))).rejects.toThrow(/ID/);
      expect(await c.xrangeBuffer(key(prefix, 'failing'), '-', '+')).toEqual(before);
      expect(await c.exists(keys[2]!)).toBe(0);
      expect(await verifyConversation(store, 'failing')).toEqual({ ok: true, records: 9 });
    });
  });
});
