/**
 * Keyed hash chaining: each record carries the HMAC-SHA256 of the previous one, computed over the
 * RFC 8785 (JSON Canonicalization Scheme) form of the record without its own `hash`. JCS is a
 * published standard, so an auditor holding the key can recompute every hash with any JCS and
 * HMAC implementation, independently of this code.
 *
 * Keyed, because a plain hash chain only shows accidents: someone who can write Redis can edit a
 * record and re-hash everything after it. Without the key (it lives in configuration, never in
 * Redis) they cannot produce a valid hash. A cut tail with a moved head still forms a valid keyed
 * chain, so the heads are also anchored outside Redis in signed checkpoints (checkpoints.ts).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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

/** Thrown inside `keysSorted` for a value whose JCS text it does not vouch for: `canonicalize` writes that one. */
const NOT_PLAIN = Symbol('not plain JSON');
/** A key JavaScript puts before the others, in numeric order, whatever order it was inserted in. */
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * A copy of a JSON value whose objects have their keys inserted in UTF-16 code-unit order (JCS's
 * order, `Array.prototype.sort`'s default). Anything else than plain data — a non-finite number, a
 * function, a sparse array, a class instance, a key JavaScript would reorder — throws NOT_PLAIN.
 */
function keysSorted(value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw NOT_PLAIN;
    return value;
  }
  if (typeof value === 'function') throw NOT_PLAIN;
  if (value === null || typeof value !== 'object') return value;
  const withJson = value as { toJSON?: unknown };
  if (typeof withJson.toJSON === 'function') return keysSorted((withJson.toJSON as () => unknown)());
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw NOT_PLAIN;
      copy[i] = keysSorted(value[i]);
    }
    return copy;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  // A plain object, not one without a prototype: V8 keeps those as hash tables (slower to build
  // and to stringify, and larger); so a key named "__proto__", which would set the prototype here,
  // is left to `canonicalize`.
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (ARRAY_INDEX.test(key) || key === '__proto__') throw NOT_PLAIN;
    copy[key] = keysSorted((value as Record<string, unknown>)[key]);
  }
  return copy;
}

/**
 * The RFC 8785 (JCS) text of a JSON value — the same text as the `canonicalize` package, which
 * writes it for anything `keysSorted` refuses. JCS serialises strings and numbers as ECMAScript's
 * JSON.stringify does and orders object keys by UTF-16 code units, so for plain data the native
 * JSON.stringify of a key-sorted copy is that text: on a bench conversation's records under
 * callgrind, ≈ 55 k instead of ≈ 65 k instructions per record through this function, with less
 * garbage than the package's string building (README, "Turn CPU round, session 7").
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(keysSorted(value));
  } catch (err) {
    if (err !== NOT_PLAIN) throw err;
    text = canonicalize(value);
  }
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

export const headOf = (records: readonly Linked[]): ChainHead =>
  records.length === 0 ? EMPTY_HEAD : { seq: records.at(-1)!.seq, hash: records.at(-1)!.hash };

export const ChainProblem = z.enum([
  /** A record's content no longer matches its keyed hash, or its predecessor was re-sealed after an edit. */
  'edited',
  /** A sequence number is missing. */
  'deleted',
  /** A record is out of order. */
  'reordered',
  /** A record appears that the chain or the head does not account for. */
  'inserted',
  /** The tail is missing: the log ends before the head or before a signed checkpoint. */
  'truncated',
  /** The chain ends in a different hash than the head or a signed checkpoint: rebuilt wholesale. */
  'rewritten',
  /** A record belongs to another conversation (copied here). */
  'misplaced',
  /** The checkpoint for this conversation does not carry a valid signature: the anchor itself was forged. */
  'forged_checkpoint',
]);
export type ChainProblem = z.infer<typeof ChainProblem>;

export type Verification = { ok: true; records: number } | { ok: false; firstBadSeq: number; problem: ChainProblem };

/** A signed statement, kept outside Redis, that a conversation's chain had reached `seq` with `hash`. */
export const Checkpoint = z.strictObject({
  conversationId: z.string().min(1),
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  /** Which key signed it (a fingerprint, not the key), so a rotated key is named in a failure. */
  keyId: z.string(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export interface VerifyAgainst {
  /** The head stored beside the records (in Redis: same slot). */
  head?: ChainHead | null;
  /** Every record must name this conversation. */
  conversationId?: string;
  /** The latest signed checkpoint from outside Redis. */
  checkpoint?: Checkpoint | null;
  /** Something says the conversation exists (a search summary): then zero records is a loss, not an empty log. */
  expectRecords?: boolean;
}

/** Minimum length of a configured key: 32 characters of a random secret. */
export const MIN_KEY_LENGTH = 32;

/** Domain separation: a record hash can never be passed off as a checkpoint signature or vice versa. */
const RECORD_DOMAIN = 'forbear/transcript-record/v1\n';
const CHECKPOINT_DOMAIN = 'forbear/transcript-checkpoint/v1\n';

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The chain under one key. Every transcript, the retention log and the compliance review log are
 * sealed and verified through one of these.
 */
export class Chain {
  readonly keyId: string;
  private readonly key: Buffer;

  constructor(key: string | Buffer) {
    this.key = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (this.key.length < MIN_KEY_LENGTH) throw new RangeError(`the transcript chain key must be at least ${MIN_KEY_LENGTH} bytes`);
    this.keyId = createHash('sha256').update('forbear/key-id\n').update(this.key).digest('hex').slice(0, 16);
  }

  /** A random key for an embedded, in-memory run: transcripts die with the process, and so does the key. */
  static ephemeral(): Chain {
    return new Chain(randomBytes(32));
  }

  hashOf<T extends Linked>(record: Omit<T, 'hash'> | T): string {
    const { hash: _ignored, ...body } = record as T;
    return this.hashOfBody(body);
  }

  /** The keyed hash of a record without its `hash` field. */
  private hashOfBody(body: object): string {
    return createHmac('sha256', this.key).update(RECORD_DOMAIN).update(canonicalJson(body), 'utf8').digest('hex');
  }

  /** The next record after `head`: assigns seq and prevHash, then seals it with its keyed hash. */
  link<B extends object>(head: ChainHead, body: B): B & Linked {
    // One copy of the body: hashed as it is, then given its hash (the hash field last, as before).
    const record = { ...body, seq: head.seq + 1, prevHash: head.hash } as B & Linked;
    // A body's own `hash` is never hashed (`hashOf`).
    if ('hash' in record) delete (record as Partial<Linked>).hash;
    record.hash = this.hashOfBody(record);
    return record;
  }

  /** Seals several records at once after `head`, in order: what one atomic batch append stores. */
  seal<B extends object>(head: ChainHead, bodies: readonly B[]): (B & Linked)[] {
    const out: (B & Linked)[] = [];
    let current = head;
    for (const body of bodies) {
      const record = this.link(current, body);
      out.push(record);
      current = { seq: record.seq, hash: record.hash };
    }
    return out;
  }

  checkpoint(conversationId: string, head: ChainHead, at: string): Checkpoint {
    const body = { conversationId, seq: head.seq, hash: head.hash, at, keyId: this.keyId };
    return { ...body, sig: this.signature(body) };
  }

  checkpointValid(checkpoint: Checkpoint): boolean {
    const { sig, ...body } = checkpoint;
    return body.keyId === this.keyId && sameHex(this.signature(body), sig);
  }

  private signature(body: Omit<Checkpoint, 'sig'>): string {
    return createHmac('sha256', this.key).update(CHECKPOINT_DOMAIN).update(canonicalJson(body), 'utf8').digest('hex');
  }

  /**
   * Checks the chain record by record (order, keyed hash, link, conversation), then against the
   * head stored beside it, then against the signed checkpoint kept outside Redis. The checkpoint is
   * what catches a cut tail whose head was moved to match.
   */
  verify(records: readonly Linked[], against: VerifyAgainst = {}): Verification {
    const bad = (firstBadSeq: number, problem: ChainProblem): Verification => ({ ok: false, firstBadSeq, problem });
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const expected = i + 1;
      if (record.seq > expected) {
        return bad(expected, records.slice(i + 1).some((r) => r.seq === expected) ? 'reordered' : 'deleted');
      }
      if (record.seq < expected) return bad(record.seq, 'inserted');
      if (!sameHex(this.hashOf(record), String(record.hash))) return bad(record.seq, 'edited');
      const prevHash = i === 0 ? EMPTY_HEAD.hash : records[i - 1]!.hash;
      // Both hashes check out, so the predecessor was edited and re-sealed.
      if (record.prevHash !== prevHash) return bad(Math.max(1, record.seq - 1), 'edited');
      if (against.conversationId !== undefined && (record as Linked & { conversationId?: unknown }).conversationId !== against.conversationId) {
        return bad(record.seq, 'misplaced');
      }
    }
    const last = headOf(records);
    const { head, checkpoint } = against;
    if (head) {
      if (last.seq < head.seq) return bad(last.seq + 1, 'truncated');
      if (last.seq > head.seq) return bad(head.seq + 1, 'inserted');
      if (last.hash !== head.hash) return bad(head.seq, 'rewritten');
    }
    if (checkpoint) {
      if (!this.checkpointValid(checkpoint) || (against.conversationId !== undefined && checkpoint.conversationId !== against.conversationId)) {
        return bad(checkpoint.seq, 'forged_checkpoint');
      }
      if (last.seq < checkpoint.seq) return bad(last.seq + 1, 'truncated');
      if (records[checkpoint.seq - 1]!.hash !== checkpoint.hash) return bad(checkpoint.seq, 'rewritten');
    }
    if (records.length === 0 && (against.expectRecords || head)) return bad(1, 'truncated');
    return { ok: true, records: records.length };
  }
}
