/**
 * A small typed key-value store for records other parts keep for themselves (Direct Line
 * conversations, handoff tickets). Values are validated by the caller's zod schema on the way out
 * — what is read back from a store is data from outside the process — and not on the way in, where
 * they are values the caller just built, typed as the schema's output (a turn's held greeting, a
 * ledger record: parsing them again cost ≈ 1.5 % of a negotiation's CPU); stored as JSON in both
 * twins so they behave the same (no shared mutable objects in memory). `update` is an atomic read-modify-write: compare-and-set, retried on conflict.
 */
import { ExponentialBackoff, handleType, retry } from 'cockatiel';
import type { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { ETagConflictError, guarded } from './errors.js';
import { deferToCommit, heldBackRecord, holdsTurnCommit, takePrefetched, undefer } from './lock.js';
import type { CommitOp } from './redisCommit.js';
import { ExpiringMap, type Now } from './expiringMap.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.js';
import { argsText, recordArgs, VersionedRecords } from './versionedRecord.js';

/** A value as read, with the version an `update` starting from that read compares against. */
export interface Versioned<T> {
  value: T;
  version: string;
}

export interface KeyValueStore<T> {
  get(key: string): Promise<T | undefined>;
  /** `get` with the record's version, for an `update` that starts from this read (its `from`). */
  getVersioned(key: string): Promise<Versioned<T> | undefined>;
  /** `ttlSec` absent or 0: kept until deleted. */
  set(key: string, value: T, ttlSec?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Atomically replaces the value with `change(current)`. `change` must be pure: under contention
   * it runs again on the fresher value. The TTL is set anew (absent or 0: kept until deleted).
   * `from`: the record as the caller already read it (`getVersioned`), so the first attempt writes
   * without reading again (one round trip fewer); if it changed since, it is read again as usual.
   */
  update(key: string, change: (current: T | undefined) => T, ttlSec?: number, from?: Versioned<T>): Promise<T>;
}

export interface KeyValueOptions<S extends z.ZodType> {
  /** Names the kind of record, e.g. "directline"; part of every key. */
  namespace: string;
  schema: S;
  /** `conversation`: the key is a conversation id and the record shares that conversation's cluster slot. */
  scope: 'conversation' | 'global';
  /**
   * Conversation scope only: under the conversation's Redis lease, `set` and `delete` are held back
   * and stored with the turn's commit (bot/storage/redisCommit.ts: with its other writes, one round
   * trip, and not at all if the turn fails), and `get` in that turn reads what is held back. For
   * records only the conversation's own turns read; `update` is not for them while a write is held.
   */
  withTurn?: boolean;
}

const NAMESPACE = /^[a-z][a-z0-9-]*$/;
const MAX_UPDATE_ATTEMPTS = 32;

/** A compare-and-set that found the record changed since it was read. */
class LostRace extends Error {}

/**
 * Writers that lose a compare-and-set wait a random, growing pause (decorrelated jitter) before
 * reading again: retried at once, many writers of one hot record (the ledger book's active index,
 * updated by every arrangement concluded) collide in lockstep and the same ones lose every round.
 */
const contended = retry(handleType(LostRace), {
  maxAttempts: MAX_UPDATE_ATTEMPTS - 1,
  backoff: new ExponentialBackoff({ initialDelay: 2, maxDelay: 250 }),
});

function codec<S extends z.ZodType>(schema: S) {
  return {
    encode: (value: z.output<S>) => JSON.stringify(value),
    decode: (text: string): z.output<S> => schema.parse(JSON.parse(text)),
  };
}

function checkNamespace(namespace: string): string {
  if (!NAMESPACE.test(namespace)) throw new Error(`key-value namespace must match ${NAMESPACE}: ${namespace}`);
  return namespace;
}

export class MemoryKeyValueStore<S extends z.ZodType> implements KeyValueStore<z.output<S>> {
  private readonly map: ExpiringMap<string>;
  private readonly codec: ReturnType<typeof codec<S>>;

  constructor(options: KeyValueOptions<S>, now?: Now) {
    checkNamespace(options.namespace);
    this.codec = codec(options.schema);
    this.map = new ExpiringMap(now);
  }

  async get(key: string) {
    const text = this.map.get(key);
    return text === undefined ? undefined : this.codec.decode(text);
  }

  /** The version is the stored text: a value read, written over and read again compares unequal. */
  async getVersioned(key: string) {
    const text = this.map.get(key);
    return text === undefined ? undefined : { value: this.codec.decode(text), version: text };
  }

  async set(key: string, value: z.output<S>, ttlSec?: number) {
    this.map.set(key, this.codec.encode(value), (ttlSec ?? 0) * 1000);
  }

  async delete(key: string) {
    this.map.delete(key);
  }

  async update(key: string, change: (current: z.output<S> | undefined) => z.output<S>, ttlSec?: number, from?: Versioned<z.output<S>>) {
    const text = this.map.get(key);
    const next = change(text === undefined ? undefined : from?.version === text ? from.value : this.codec.decode(text));
    await this.set(key, next, ttlSec);
    return next;
  }
}

/** How many conversations a `withTurn` store remembers holding a record for (oldest forgotten: then read as usual). */
const HOLDING = 10_000;

export class RedisKeyValueStore<S extends z.ZodType> implements KeyValueStore<z.output<S>> {
  private readonly records: VersionedRecords;
  /** `withTurn`: conversations this instance wrote a record for and has not removed it (see `turnKeys`). */
  private readonly holding = new Set<string>();
  private readonly codec: ReturnType<typeof codec<S>>;
  private readonly namespace: string;

  constructor(
    client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: KeyValueOptions<S>,
  ) {
    this.namespace = checkNamespace(options.namespace);
    this.records = new VersionedRecords(client);
    this.codec = codec(options.schema);
  }

  redisKey(key: string): string {
    return this.options.scope === 'conversation'
      ? this.keys.conversation(key, 'kv', this.namespace)
      : this.keys.global('kv', key, this.namespace);
  }

  /**
   * `withTurn`: the record of `conversationId` for the conversation lock to read in the round trip
   * that takes the lease (bot/storage/index.ts), when this instance wrote one and has not removed it.
   */
  turnKeys(conversationId: string): readonly string[] {
    return this.holding.has(conversationId) ? [this.redisKey(conversationId)] : [];
  }

  get(key: string) {
    return guarded(async () => {
      const held = this.heldBack(key);
      if (held) return held.kind === 'record' ? this.codec.decode(argsText(this.redisKey(key), held.args)) : undefined;
      const prefetched = this.options.withTurn ? takePrefetched(key, this.redisKey(key)) : undefined;
      if (prefetched) return prefetched.record === undefined ? undefined : this.codec.decode(prefetched.record.value);
      const record = await this.records.read(this.redisKey(key));
      return record === undefined ? undefined : this.codec.decode(record.value);
    });
  }

  /** Read from Redis (not what a turn holds back: that has no version yet); the version is the eTag. */
  getVersioned(key: string) {
    return guarded(() => this.read(this.redisKey(key)));
  }

  set(key: string, value: z.output<S>, ttlSec?: number) {
    return guarded(async () => {
      const text = this.codec.encode(value);
      const ttlMs = (ttlSec ?? 0) * 1000;
      if (this.holdBack(key, 'record', () => recordArgs(this.redisKey(key), text, { mode: 'any' }, randomUUID(), ttlMs))) return;
      await this.records.write(this.redisKey(key), text, { mode: 'any' }, ttlMs);
    });
  }

  delete(key: string) {
    if (this.holdBack(key, 'recordDelete', () => [])) return Promise.resolve();
    return guarded(() => this.records.delete(this.redisKey(key)));
  }

  private async read(redisKey: string): Promise<Versioned<z.output<S>> | undefined> {
    const record = await this.records.read(redisKey);
    return record === undefined ? undefined : { value: this.codec.decode(record.value), version: record.etag };
  }

  /** The write of `key` this turn holds back (see `withTurn`), if any. */
  private heldBack(key: string): CommitOp | undefined {
    if (!this.options.withTurn || this.options.scope !== 'conversation') return undefined;
    return heldBackRecord(key, this.redisKey(key));
  }

  /**
   * Holds a write of `key` back for its turn's commit, replacing one held before; false: write now.
   * The write's arguments (the value's DEFLATE) are made only when the write is held back: a write
   * made now makes its own, so made before knowing (a `withTurn` store written outside a turn) the
   * value was DEFLATEd twice.
   */
  private holdBack(key: string, kind: 'record' | 'recordDelete', args: () => Array<string | number | Buffer>): boolean {
    if (!this.options.withTurn || this.options.scope !== 'conversation' || !holdsTurnCommit(key)) return false;
    const earlier = this.heldBack(key);
    const redisKey = this.redisKey(key);
    deferToCommit(key, { kind, keys: [redisKey], args: args(), refused: (reason) => new Error(`${redisKey}: ${reason}`) });
    if (earlier) undefer(key, earlier);
    this.holding.delete(key);
    if (kind === 'record') this.holding.add(key);
    if (this.holding.size > HOLDING) this.holding.delete(this.holding.values().next().value!);
    return true;
  }

  update(key: string, change: (current: z.output<S> | undefined) => z.output<S>, ttlSec?: number, from?: Versioned<z.output<S>>) {
    const redisKey = this.redisKey(key);
    if (this.heldBack(key)) throw new Error(`${redisKey}: update after a write held back in the same turn`);
    let given = from;
    return guarded(async () => {
      try {
        return await contended.execute(async () => {
          // The caller's read serves the first attempt only: a lost race reads again.
          const read = given ?? (await this.read(redisKey));
          given = undefined;
          const next = change(read?.value);
          const written = await this.records.write(
            redisKey,
            this.codec.encode(next),
            read === undefined ? { mode: 'absent' } : { mode: 'match', expected: read.version },
            (ttlSec ?? 0) * 1000,
          );
          if (written === null) throw new LostRace();
          return next;
        });
      } catch (error) {
        throw error instanceof LostRace ? new ETagConflictError(redisKey) : error;
      }
    });
  }
}
