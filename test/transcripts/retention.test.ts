import { describe, expect, it } from 'vitest';
import { runRetention } from '../../bot/transcripts/retention.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import { complete, conversationEntries } from './fixtures.js';

async function seeded() {
  const store = new MemoryTranscriptStore();
  for (const e of conversationEntries('2021-01-10T00:00:00.000Z')) await store.append('old', e);
  // Started long ago but still active recently: its last record decides.
  for (const e of conversationEntries('2021-01-05T00:00:00.000Z').slice(0, 2)) await store.append('revived', e);
  await store.append('revived', complete({ kind: 'activity', actor: 'cardholder', at: '2023-12-01T00:00:00Z', payload: { type: 'message', text: '我回来了' } }));
  for (const e of conversationEntries('2023-06-01T00:00:00.000Z')) await store.append('recent', e);
  return store;
}

describe('runRetention', () => {
  const now = new Date('2024-03-01T00:00:00Z');

  it('removes conversations whose last record is past the default 3 years, logging each removal', async () => {
    const store = await seeded();
    const run = await runRetention(store, { now });
    expect(run.cutoff).toBe('2021-03-02T00:00:00.000Z');
    expect(run.expired).toEqual(['old']);
    expect((await store.listConversations()).map((s) => s.conversationId)).toEqual(['revived', 'recent']);
    const log = await store.retentionLog();
    expect(log.records).toEqual([expect.objectContaining({ conversationId: 'old', records: 9, removedAt: now.toISOString(), reason: expect.stringContaining('1095 days') })]);
    expect(store.sealing.chain.verify(log.records, { head: log.head })).toEqual({ ok: true, records: 1 });
  });

  it('honours a configured period and dry run', async () => {
    const store = await seeded();
    const dry = await runRetention(store, { now, olderThanDays: 60, dryRun: true });
    expect(dry.expired).toEqual(['revived', 'old', 'recent']);
    expect(dry.removed).toEqual([]);
    expect(await store.listConversations()).toHaveLength(3);
    const real = await runRetention(store, { now, olderThanDays: 200 });
    expect(real.removed.map((r) => r.conversationId)).toEqual(['old', 'recent']);
    expect((await store.retentionLog()).records.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('rejects a non-positive period', async () => {
    await expect(runRetention(new MemoryTranscriptStore(), { now, olderThanDays: 0 })).rejects.toThrow();
  });
});
