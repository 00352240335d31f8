import { describe, expect, it } from 'vitest';
import { EMPTY_HEAD, canonicalJson, hashOf, headOf, link, verify } from '../../bot/transcripts/chain.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import { conversationEntries } from './fixtures.js';

async function chain() {
  const store = new MemoryTranscriptStore();
  for (const e of conversationEntries()) await store.append('c', e);
  return store.stored('c');
}

describe('hash chain', () => {
  it('links records from a genesis of 64 zeros and verifies an untouched log', async () => {
    const { records, head } = await chain();
    expect(records[0]!.prevHash).toBe('0'.repeat(64));
    records.slice(1).forEach((r, i) => expect(r.prevHash).toBe(records[i]!.hash));
    expect(verify(records, head)).toEqual({ ok: true, records: 9 });
  });

  it('hashes the RFC 8785 canonical form, so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'é', c: null }] })).toBe('{"a":[{"c":null,"d":"é"}],"b":1}');
    const r = link(EMPTY_HEAD, { x: 1, y: 'two' });
    expect(hashOf({ hash: r.hash, y: 'two', prevHash: r.prevHash, seq: 1, x: 1 })).toBe(r.hash);
  });

  it('detects an edited record', async () => {
    const { records, head } = await chain();
    (records[3]!.payload as { confidence: number }).confidence = 0.1;
    expect(verify(records, head)).toEqual({ ok: false, firstBadSeq: 4, problem: 'edited' });
  });

  it('detects an edited record that was re-sealed with a fresh hash', async () => {
    const { records, head } = await chain();
    const r = records[4]! as Record<string, unknown> & { hash: string; seq: number; prevHash: string };
    (r.payload as { outcome: string }).outcome = 'accept';
    r.hash = hashOf(r);
    expect(verify(records, head)).toEqual({ ok: false, firstBadSeq: 5, problem: 'edited' });
  });

  it('detects a field added to a record', async () => {
    const { records, head } = await chain();
    (records[1]! as Record<string, unknown>).note = 'added later';
    expect(verify(records, head)).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'edited' });
  });

  it('detects a deleted record', async () => {
    const { records, head } = await chain();
    records.splice(2, 1);
    expect(verify(records, head)).toEqual({ ok: false, firstBadSeq: 3, problem: 'deleted' });
  });

  it('detects reordered records', async () => {
    const { records, head } = await chain();
    [records[5], records[6]] = [records[6]!, records[5]!];
    expect(verify(records, head)).toEqual({ ok: false, firstBadSeq: 6, problem: 'reordered' });
  });

  it('detects a duplicated (inserted) record', async () => {
    const { records, head } = await chain();
    records.splice(3, 0, structuredClone(records[2]!));
    expect(verify(records, head)).toEqual({ ok: false, firstBadSeq: 3, problem: 'inserted' });
  });

  it('detects a truncated tail only against the head', async () => {
    const { records, head } = await chain();
    const cut = records.slice(0, 6);
    expect(verify(cut)).toEqual({ ok: true, records: 6 });
    expect(verify(cut, head)).toEqual({ ok: false, firstBadSeq: 7, problem: 'truncated' });
    expect(verify([], head)).toEqual({ ok: false, firstBadSeq: 1, problem: 'truncated' });
  });

  it('detects a chain rebuilt from scratch after deleting a record', async () => {
    const { records, head } = await chain();
    let h = EMPTY_HEAD;
    const rebuilt = records
      .filter((r) => r.seq !== 3)
      .map(({ seq: _s, prevHash: _p, hash: _h, ...body }) => {
        const r = link(h, body);
        h = headOf([r]);
        return r;
      });
    expect(verify(rebuilt)).toEqual({ ok: true, records: 8 });
    expect(verify(rebuilt, head)).toEqual({ ok: false, firstBadSeq: 9, problem: 'truncated' });
    const padded = [...rebuilt, link(h, { conversationId: 'c', forged: true })];
    expect(verify(padded, head)).toEqual({ ok: false, firstBadSeq: 9, problem: 'rewritten' });
  });
});
