/**
 * A batch's summary in Redis: the deltas of all its records are applied together inside the append
 * script (bot/transcripts/redisStore.ts) — the same summary the records give one by one (the
 * in-memory store applies them one by one), in one read and one write of the summary hash instead
 * of four or more commands per record. Counted on a Redis of the test's own (`INFO commandstats`,
 * which counts a script's inner calls).
 */
import { describe, expect, it } from 'vitest';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import type { TranscriptEntry } from '../../bot/transcripts/schema.js';
import { useOwnedRedis } from '../support/fleet.js';
import { commandCalls } from '../support/redisServer.js';
import { complete, conversationEntries, testSealing } from './fixtures.js';

const owned = useOwnedRedis();

const at = (s: number) => new Date(Date.parse('2024-07-01T08:00:00.000Z') + s * 1000).toISOString();
const agentAction = (agentId: string, s: number): TranscriptEntry =>
  complete({ kind: 'decision', actor: 'agent', at: at(s), payload: { type: 'agent_action', agentId, role: 'agent', action: 'message', authority: 'agent', offerId: null, note: null } });
const flag = (s: number): TranscriptEntry =>
  complete({ kind: 'decision', actor: 'system', at: at(s), payload: { type: 'flag', flag: 'amount_mismatch', recordSeq: 2, detail: 'stated twice' } });

describe('a transcript batch’s summary', () => {
  it('is the summary of its records one by one, written with one HMGET and one HSET of the summary', async () => {
    const entries = conversationEntries(at(0));
    // A first batch, then one of many records: agents twice and in turn, a flag, the policy twice,
    // a record earlier than the last (lastAt is the latest, not the last written), the outcome.
    const first = entries.slice(0, 3);
    const second = [agentAction('agent-b', 100), ...entries.slice(3), flag(101), agentAction('agent-a', 102), agentAction('agent-b', 50)];
    const memory = new MemoryTranscriptStore(testSealing());
    const store = new RedisTranscriptStore(owned.admin, 'summary-batch:', testSealing(), { packOnOutcome: false });
    for (const batch of [first, second]) await memory.appendBatch('c1', () => batch);
    await store.appendBatch('c1', () => first);
    await owned.admin.config('RESETSTAT');
    await store.appendBatch('c1', () => second);
    const calls = await commandCalls(owned.admin);

    expect(await store.summary('c1')).toEqual(await memory.summary('c1'));
    expect(await store.summary('c1')).toMatchObject({ records: first.length + second.length, lastAt: at(102), agents: ['agent-a', 'agent-b'], flags: ['amount_mismatch'] });
    // The head is read (HMGET) and written (HSET) once; so is the summary; each set once.
    expect(calls).toMatchObject({ hmget: 2, hset: 2, sadd: 3 });
    for (const perRecord of ['hget', 'hsetnx', 'hincrby']) expect(calls[perRecord]).toBeUndefined();
  });
});
