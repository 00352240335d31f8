import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Chain, EMPTY_HEAD, canonicalJson, headOf, type Linked } from '../../bot/transcripts/chain.js';
import type { ChainHead } from '../../bot/transcripts/schema.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import { conversationEntries, testSealing } from './fixtures.js';

const sealing = testSealing();
const keyed = sealing.chain;
const hashOf = (r: Linked) => keyed.hashOf(r);
const link = <B extends object>(head: Parameters<Chain['link']>[0], body: B) => keyed.link(head, body);
const verify = (records: readonly Linked[], head: ChainHead | null = null) => keyed.verify(records, { head });

async function chain() {
  const store = new MemoryTranscriptStore(sealing);
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

  it('hashes the RFC 8785 canonical form with the key, so key order does not matter and another key disagrees', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'é', c: null }] })).toBe('{"a":[{"c":null,"d":"é"}],"b":1}');
    const r = link(EMPTY_HEAD, { x: 1, y: 'two' });
    expect(hashOf({ hash: r.hash, y: 'two', prevHash: r.prevHash, seq: 1, x: 1 } as Linked)).toBe(r.hash);
    const other = new Chain('another-key-another-key-another-key-0000');
    expect(other.hashOf(r)).not.toBe(r.hash);
    expect(other.verify([r])).toEqual({ ok: false, firstBadSeq: 1, problem: 'edited' });
    expect(() => new Chain('short')).toThrow(/at least 32/);
  });

  it('writes the same canonical text as the canonicalize package, so every hash is the same as before', async () => {
    const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string | undefined;
    const same = (value: unknown) => expect(canonicalJson(value)).toBe(canonicalize(value));
    // Sealed records as the stores keep them, Chinese text and nested payloads included.
    const { records } = await chain();
    for (const r of records) same(r);
    // Keys ordered by UTF-16 code units (an astral character sorts before U+FF5E), escapes, -0, large and small numbers, dates.
    same({ '\u{1F600}': 1, '～': 2, é: 3, Z: 4, a: [-0, 1e21, 5e-7, 0.1, 'line\nbreak "quoted" \u2028', '\ud800'], b: new Date(0), c: undefined, d: [undefined, null] });
    // What plain JSON.stringify of a sorted copy would get wrong is left to the package: keys JavaScript
    // reorders, a key named __proto__, sparse arrays, functions, boxed values.
    same({ b: { '10': 'x', '2': 'y', a: 'z' }, __proto__x: 1 });
    same(JSON.parse('{"__proto__":{"b":1,"a":2},"z":0}'));
    same({ list: [1, , 3] });
    same({ f: () => 1, n: Object(5) as unknown });
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
    expect(() => canonicalJson({ x: [Number.POSITIVE_INFINITY] })).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(/no JSON form/);
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === canonicalize(value)), { numRuns: 500 });
  });

  it('seals a batch of records at once exactly as one by one', () => {
    const bodies = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const batch = keyed.seal(EMPTY_HEAD, bodies);
    let h = EMPTY_HEAD;
    const single = bodies.map((b) => {
      const r = link(h, b);
      h = headOf([r]);
      return r;
    });
    expect(batch).toEqual(single);
    expect(verify(batch, headOf(batch))).toEqual({ ok: true, records: 3 });
  });

  it('checks records against a signed checkpoint and the conversation id', async () => {
    const { records, head } = await chain();
    const checkpoint = keyed.checkpoint('c', { seq: 7, hash: records[6]!.hash }, '2024-05-01T02:00:20.000Z');
    expect(keyed.verify(records, { head, conversationId: 'c', checkpoint })).toEqual({ ok: true, records: 9 });
    // Cut at 6 with the head moved along: consistent with the head, not with the checkpoint.
    const cut = records.slice(0, 6);
    expect(keyed.verify(cut, { head: headOf(cut), conversationId: 'c', checkpoint })).toEqual({ ok: false, firstBadSeq: 7, problem: 'truncated' });
    expect(keyed.verify(records, { head, conversationId: 'other', checkpoint: null })).toEqual({ ok: false, firstBadSeq: 1, problem: 'misplaced' });
    const forged = { ...checkpoint, seq: 3, hash: records[2]!.hash };
    expect(keyed.verify(records, { head, conversationId: 'c', checkpoint: forged })).toEqual({ ok: false, firstBadSeq: 3, problem: 'forged_checkpoint' });
    const elsewhere = keyed.checkpoint('c', { seq: 7, hash: 'f'.repeat(64) }, '2024-05-01T02:00:20.000Z');
    expect(keyed.verify(records, { head, conversationId: 'c', checkpoint: elsewhere })).toEqual({ ok: false, firstBadSeq: 7, problem: 'rewritten' });
    expect(keyed.verify([], { expectRecords: true })).toEqual({ ok: false, firstBadSeq: 1, problem: 'truncated' });
    expect(keyed.verify([], {})).toEqual({ ok: true, records: 0 });
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
    // Re-sealing needs the key; with it, the next record's link still gives the edit away.
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
