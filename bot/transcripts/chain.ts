/**
 * Hash chaining: each record carries the sha256 of the previous one, computed over the RFC 8785
 * (JSON Canonicalization Scheme) form of the record without its own `hash`. JCS is a published
 * standard, so an auditor can recompute every hash with any JCS implementation in any language,
 * independently of this code.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { GENESIS_HASH, type ChainHead } from './schema.js';

export interface Linked {
  seq: number;
  prevHash: string;
  hash: string;
}

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare an ES default export,
// which NodeNext resolution reads as `{ default: fn }`; requiring it gives the function, typed right.
const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

export function hashOf<T extends Linked>(record: Omit<T, 'hash'> | T): string {
  const { hash: _ignored, ...body } = record as T;
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** The next record after `head`: assigns seq and prevHash, then seals it with its hash. */
export function link<B extends object>(head: ChainHead, body: B): B & Linked {
  const unsealed = { ...body, seq: head.seq + 1, prevHash: head.hash };
  return { ...unsealed, hash: hashOf(unsealed as B & Linked) };
}

export const headOf = (records: readonly Linked[]): ChainHead =>
  records.length === 0 ? EMPTY_HEAD : { seq: records.at(-1)!.seq, hash: records.at(-1)!.hash };

export const ChainProblem = z.enum([
  /** A record's content no longer matches its hash, or its predecessor was re-hashed after an edit. */
  'edited',
  /** A sequence number is missing. */
  'deleted',
  /** A record is out of order. */
  'reordered',
  /** A record appears that the chain or the head does not account for. */
  'inserted',
  /** The tail is missing: the log ends before the head. */
  'truncated',
  /** The chain is internally consistent but ends in a different hash than the head: rebuilt wholesale. */
  'rewritten',
]);
export type ChainProblem = z.infer<typeof ChainProblem>;

export type Verification = { ok: true; records: number } | { ok: false; firstBadSeq: number; problem: ChainProblem };

/**
 * Checks the chain record by record, then against the separately stored head. Without a head only
 * edits, deletions, insertions and reorderings inside the log can be found; a cut-off tail needs it.
 */
export function verify(records: readonly Linked[], head: ChainHead | null = null): Verification {
  const bad = (firstBadSeq: number, problem: ChainProblem): Verification => ({ ok: false, firstBadSeq, problem });
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const expected = i + 1;
    if (record.seq > expected) {
      return bad(expected, records.slice(i + 1).some((r) => r.seq === expected) ? 'reordered' : 'deleted');
    }
    if (record.seq < expected) return bad(record.seq, 'inserted');
    if (hashOf(record) !== record.hash) return bad(record.seq, 'edited');
    const prevHash = i === 0 ? EMPTY_HEAD.hash : records[i - 1]!.hash;
    // Both hashes check out, so the predecessor was edited and re-sealed.
    if (record.prevHash !== prevHash) return bad(Math.max(1, record.seq - 1), 'edited');
  }
  if (head) {
    const last = headOf(records);
    if (last.seq < head.seq) return bad(last.seq + 1, 'truncated');
    if (last.seq > head.seq) return bad(head.seq + 1, 'inserted');
    if (last.hash !== head.hash) return bad(head.seq, 'rewritten');
  }
  return { ok: true, records: records.length };
}
