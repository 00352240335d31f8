/**
 * Per-conversation serialisation: two messages of one conversation, arriving at two instances at
 * once, run one after the other. The Redis lease comes from redis-semaphore's Mutex (SET NX PX with
 * a random token, Lua compare-and-delete release, Lua compare-and-extend refresh while the turn
 * runs). The lock is an efficiency and ordering guarantee; correctness does not rest on it alone:
 * if a lease is ever lost (Redis failover, a paused process), the eTag check of the state write
 * still rejects the second writer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex, TimeoutError, type LostLockError } from 'redis-semaphore';
import { ConversationBusyError, StoreUnavailableError, asStoreError } from './errors.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.js';
import { LeaseNotes, runCommit, type CommitOp, type TurnCommit } from './redisCommit.js';
import { readReply, readRecord, type StoredRecord } from './versionedRecord.js';

export interface ConversationLock {
  /**
   * Runs `fn` while holding the conversation's lock. `signal` aborts if the lease is lost while
   * `fn` still runs. Throws ConversationBusyError when the lock stays taken past the wait limit,
   * StoreUnavailableError when Redis cannot be reached. Re-entrant within one async call chain.
   */
  withLock<T>(conversationId: string, fn: (signal: AbortSignal) => Promise<T>, options?: LockOptions): Promise<T>;
  /** Resolves once what ended turns left running (`afterTurn`) has settled: before closing the stores it uses, and in tests. */
  settled(): Promise<void>;
}

export interface LockOptions {
  /**
   * False for a lock named after no conversation (an account's, a ledger's): its lease reads no
   * conversation state, which could not exist (a command a lease less on the consent turn).
   */
  conversation?: boolean;
}

interface Lease {
  signal: AbortSignal;
  active: boolean;
  /** Records read in the round trip that took the lease, not yet handed out (see `takePrefetched`). */
  prefetched: Map<string, StoredRecord | undefined>;
  /** A Redis lease's turn commit: writes sent with its release (see `deferToCommit`); none on a memory lock. */
  commit?: TurnCommit;
}

/** The conversations whose lock the current async call chain holds. */
const held = new AsyncLocalStorage<ReadonlyMap<string, Lease>>();

/**
 * Re-entrancy: Direct Line takes the conversation's lock before it logs a message (so the log
 * order is the order turns run in), and the turn then passes the lock middleware every adapter
 * has; that inner `withLock` must run at once, not wait for its own caller. A lease is marked
 * inactive when its holder returns, so work a turn leaves behind (a timer) cannot borrow it.
 */
async function reentrant<T>(
  conversationId: string,
  fn: (signal: AbortSignal) => Promise<T>,
  acquire: (run: (signal: AbortSignal, prefetched?: Map<string, StoredRecord | undefined>, commit?: TurnCommit) => Promise<T>) => Promise<T>,
): Promise<T> {
  const outer = held.getStore();
  const lease = outer?.get(conversationId);
  if (lease?.active) return fn(lease.signal);
  return acquire(async (signal, prefetched, commit) => {
    const mine: Lease = { signal, active: true, prefetched: prefetched ?? new Map(), ...(commit ? { commit } : {}) };
    try {
      return await held.run(new Map(outer).set(conversationId, mine), () => fn(signal));
    } finally {
      mine.active = false;
    }
  });
}

/**
 * A record of `conversationId` that was read in the same round trip as the lease this async call
 * chain holds on it — after the lease was taken, so it is what the store holds for the lease's
 * holder. Handed out once: `undefined` when there is none (read it from Redis), `{ record }`
 * otherwise (`record` undefined: there was no such record).
 */
export function takePrefetched(conversationId: string, key: string): { record: StoredRecord | undefined } | undefined {
  const lease = held.getStore()?.get(conversationId);
  if (!lease?.active || !lease.prefetched.has(key)) return undefined;
  const record = lease.prefetched.get(key);
  lease.prefetched.delete(key);
  return { record };
}

/** A write under the lease makes its prefetched copy stale. */
export function forgetPrefetched(conversationId: string, key: string): void {
  held.getStore()?.get(conversationId)?.prefetched.delete(key);
}

/** The commit of the Redis lease the current call chain holds on `conversationId`; none on a memory lock or without a lease. */
function turnCommitOf(conversationId: string): TurnCommit | undefined {
  const lease = held.getStore()?.get(conversationId);
  return lease?.active ? lease.commit : undefined;
}

/** True when the current call chain holds a Redis lease on `conversationId` whose commit can take a deferred write. */
export function holdsTurnCommit(conversationId: string): boolean {
  return turnCommitOf(conversationId) !== undefined;
}

/**
 * Defers a write of `conversationId` to the end of the turn holding its Redis lease, where it is
 * sent with the others and the lease's release as one script. False when there is no such lease
 * (a memory lock, no lock held, or outside the holder's call chain): the caller writes now.
 */
export function deferToCommit(conversationId: string, op: CommitOp): boolean {
  const commit = turnCommitOf(conversationId);
  commit?.ops.push(op);
  return commit !== undefined;
}

/** The ops of kind `kind` the current lease of `conversationId` holds back (to amend one before it is sent). */
export function deferred(conversationId: string, kind: string): CommitOp[] {
  return turnCommitOf(conversationId)?.ops.filter((op) => op.kind === kind) ?? [];
}

/**
 * The write or removal of the record `key` (versionedRecord.ts's `record` and `recordDelete` ops)
 * the current lease of `conversationId` holds back, if any: the turn reads its own write from it,
 * and a later write of the record in the turn replaces it. A store holds at most one per record.
 */
export function heldBackRecord(conversationId: string, key: string): CommitOp | undefined {
  return turnCommitOf(conversationId)?.ops.find((op) => (op.kind === 'record' || op.kind === 'recordDelete') && op.keys[0] === key);
}

/** Takes back an op the current lease of `conversationId` holds (the write was superseded, e.g. by a delete). */
export function undefer(conversationId: string, op: CommitOp): void {
  const ops = turnCommitOf(conversationId)?.ops;
  const at = ops?.indexOf(op) ?? -1;
  if (at >= 0) ops!.splice(at, 1);
}

/**
 * Runs `fn` once what the current turn of `conversationId` holds back is stored (awaited before
 * the turn's lock returns); at once when there is no Redis lease to hold anything back.
 */
export async function afterCommit(conversationId: string, fn: () => unknown): Promise<void> {
  const commit = turnCommitOf(conversationId);
  if (commit) commit.after.push(fn);
  else await fn();
}

/**
 * Runs `fn` once the turn holding the Redis lease of `conversationId` has ended — its writes stored
 * (or refused) and its lease released — without the turn waiting for it, so after the reply goes
 * out; a failure goes to `onError`. Only for work whose own records are already durable and that a
 * later pass repairs if this process dies first (e.g. publishing a ledger that is stored). Without
 * such a lease (a memory lock, no lock held) `fn` runs at once and is awaited, its failure thrown.
 */
export async function afterTurn(conversationId: string, fn: () => Promise<unknown>, onError: (error: unknown) => void): Promise<void> {
  const commit = turnCommitOf(conversationId);
  if (commit) commit.afterTurn.push({ fn, onError });
  else await fn();
}

/** The notes of the Redis lease the current call chain holds on `conversationId`, if any. */
export function leaseNotes(conversationId: string): LeaseNotes | undefined {
  return turnCommitOf(conversationId)?.notes;
}

/**
 * Runs `run` after the previous call of this process for the same conversation has settled
 * (`run` is given that call, to wait for it in its own way), and makes it the one the next call
 * waits for. `tails` only holds conversations with a call in flight.
 */
async function inTurn<T>(tails: Map<string, Promise<unknown>>, conversationId: string, run: (previous: Promise<unknown> | undefined) => Promise<T>): Promise<T> {
  const mine = run(tails.get(conversationId));
  const tail = mine.catch(() => undefined);
  tails.set(conversationId, tail);
  try {
    return await mine;
  } finally {
    if (tails.get(conversationId) === tail) tails.delete(conversationId);
  }
}

/** One process: a promise chain per conversation; the map only holds conversations with a turn in flight. */
export class MemoryConversationLock implements ConversationLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  withLock<T>(conversationId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return reentrant(conversationId, fn, (run) => this.queued(conversationId, run));
  }

  private queued<T>(conversationId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return inTurn(this.tails, conversationId, async (previous) => {
      await previous;
      return fn(new AbortController().signal);
    });
  }

  /** `afterTurn` runs at once on a memory lock: nothing is left running. */
  async settled(): Promise<void> {}
}

export interface RedisLockOptions {
  /** Lease length; the lease is extended every `renewMs` while the turn runs. */
  leaseMs: number;
  /** How often a held lease is extended (default `leaseMs * 0.8`, the library's). */
  renewMs?: number;
  /** How long a turn waits for the previous turn of its conversation before giving up. */
  waitMs: number;
  /** Pause between acquisition attempts. */
  retryMs: number;
}

/** A commit refused because another writer moved the transcript head is sealed again and retried, this often at most. */
const MAX_COMMIT_ATTEMPTS = 20;

export const DEFAULT_LOCK_OPTIONS: RedisLockOptions = { leaseMs: 10_000, waitMs: 15_000, retryMs: 25 };

/**
 * The library's refresh timer lets a rejected refresh (Redis unreachable) escape as an unhandled
 * rejection, which ends a Node process; a refresh that cannot reach Redis counts as a lost lease
 * here. Keys are used as given (the library would put them under `mutex:`), so every key of the
 * conversation stays under our prefix and in its cluster slot.
 */
class ConversationMutex extends Mutex {
  /** What the acquiring round trip read, once the lease is taken. */
  readonly prefetched = new Map<string, StoredRecord | undefined>();

  constructor(
    private readonly redis: RedisClient,
    key: string,
    options: ConstructorParameters<typeof Mutex>[2],
    private readonly prefetch: readonly string[] = [],
  ) {
    super(redis, key, options);
    this._key = key;
  }

  /**
   * The library's acquisition (SET NX PX, retried every `retryInterval` until `acquireTimeout`),
   * with the records of `prefetch` read in the same round trip, after the SET: sent in one tick,
   * the client pipelines them in order on one connection (they share the lock's slot, so its node
   * on a Cluster), and Redis runs a connection's commands in order, so when the SET took the lease
   * the reads saw the state as its holder does. When it did not, they are thrown away and the
   * attempt is repeated. Not an explicit pipeline: that is written at once, ahead of what this
   * tick already asked (e.g. a previous lease's release, sent and not awaited).
   */
  protected override async _acquire(abortSignal?: AbortSignal): Promise<boolean> {
    if (this.prefetch.length === 0) return super._acquire(abortSignal);
    const { identifier, lockTimeout, acquireTimeout, acquireAttemptsLimit, retryInterval } = this._acquireOptions;
    const end = Date.now() + acquireTimeout;
    for (let attempt = 1; Date.now() < end && attempt <= acquireAttemptsLimit; attempt++) {
      abortSignal?.throwIfAborted();
      const [set, ...reads] = await Promise.allSettled([
        this.redis.set(this._key, identifier, 'PX', lockTimeout, 'NX'),
        ...this.prefetch.map((key) => readRecord(this.redis, key)),
      ]);
      if (set!.status === 'rejected') throw set!.reason;
      if (set!.value === 'OK') {
        this.prefetch.forEach((key, i) => {
          const read = reads[i]!;
          if (read.status === 'fulfilled') this.prefetched.set(key, readReply(key, read.value));
        });
        return true;
      }
      await sleep(retryInterval, undefined, abortSignal ? { signal: abortSignal } : undefined);
    }
    return false;
  }

  /**
   * Stores `ops` and releases the lease in one script. Answers null when stored (the lease is then
   * released), or the refusal: the op that refused (undefined: the lease was no longer ours) and why.
   */
  async commit(ops: CommitOp[]): Promise<{ op: CommitOp | undefined; reason: string } | null> {
    this.stopRefresh();
    const [index, reason] = await runCommit(this.redis, this._key, this._identifier, ops);
    if (index === 0 && reason === undefined) {
      this.released = true;
      return null;
    }
    return { op: ops[index - 1], reason: reason ?? '' };
  }

  /** Set once a commit released the lease, so `release` sends nothing more. */
  private released = false;

  protected override async _release(): Promise<void> {
    if (!this.released) await super._release();
  }

  protected override async _refresh(): Promise<boolean> {
    try {
      return await super._refresh();
    } catch {
      return false;
    }
  }

  /**
   * An acquisition that timed out against a frozen Redis still reaches it when it thaws, and would
   * then hold the conversation for a whole lease with nobody to release it. The compare-and-delete
   * sent after it on the same connection runs after it, so the late lease is dropped at once.
   */
  abandon(): void {
    this._release().catch(() => undefined);
  }
}

export class RedisConversationLock implements ConversationLock {
  /** The last turn of each conversation this process runs or waits for (see `leased`). */
  private readonly tails = new Map<string, Promise<unknown>>();
  /** What ended turns left running (`afterTurn`), until it settles. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisLockOptions = DEFAULT_LOCK_OPTIONS,
    /**
     * Versioned records (bot/storage/versionedRecord.ts) of the conversation, in its cluster slot,
     * that its turn will read: read in the round trip that takes the lease (see `takePrefetched`).
     */
    private readonly prefetch: (conversationId: string) => readonly string[] = () => [],
  ) {}

  withLock<T>(conversationId: string, fn: (signal: AbortSignal) => Promise<T>, options: LockOptions = {}): Promise<T> {
    return reentrant(conversationId, fn, (run) => this.leased(conversationId, run, options.conversation !== false));
  }

  /**
   * A turn waits first for this process's own earlier turn of the conversation, if there is one
   * (a message that came while the greeting ran): asking Redis while that turn holds the lease
   * only costs round trips (a refused SET NX every `retryMs`). Other instances' turns are waited
   * for in Redis; the whole wait is still bounded by `waitMs`.
   */
  private async leased<T>(
    conversationId: string,
    fn: (signal: AbortSignal, prefetched: Map<string, StoredRecord | undefined>, commit: TurnCommit) => Promise<T>,
    prefetch: boolean,
  ): Promise<T> {
    const started = Date.now();
    return inTurn(this.tails, conversationId, async (previous) => {
      if (previous) {
        const waited = new AbortController();
        await Promise.race([previous, sleep(this.options.waitMs, undefined, { signal: waited.signal }).catch(() => undefined)]);
        waited.abort();
      }
      return this.leasedNow(conversationId, fn, Math.max(1, this.options.waitMs - (Date.now() - started)), prefetch);
    });
  }

  private async leasedNow<T>(
    conversationId: string,
    fn: (signal: AbortSignal, prefetched: Map<string, StoredRecord | undefined>, commit: TurnCommit) => Promise<T>,
    waitMs: number,
    prefetch: boolean,
  ): Promise<T> {
    const lost = new AbortController();
    const mutex = new ConversationMutex(this.client, this.keys.conversation(conversationId, 'lock'), {
      lockTimeout: this.options.leaseMs,
      ...(this.options.renewMs === undefined ? {} : { refreshInterval: this.options.renewMs }),
      acquireTimeout: waitMs,
      retryInterval: this.options.retryMs,
      onLockLost: (error: LostLockError) => lost.abort(error),
    }, prefetch ? this.prefetch(conversationId) : []);
    try {
      await mutex.acquire();
    } catch (error) {
      if (error instanceof TimeoutError) throw new ConversationBusyError(conversationId, this.options.waitMs);
      mutex.abandon();
      throw asStoreError(error);
    }
    const commit: TurnCommit = { ops: [], after: [], afterTurn: [], notes: new LeaseNotes() };
    try {
      let result: T;
      try {
        result = await fn(lost.signal, mutex.prefetched, commit);
      } catch (error) {
        // A failed turn stores none of what it held back. A failed release only means the lease runs out on its own.
        await mutex.release().catch(() => undefined);
        throw error;
      }
      if (commit.ops.length === 0) {
        // Sent, not awaited: what the caller sends next (often the next lock of the same work) goes
        // in the same round trip — the client pipelines one tick's commands — and after the release
        // on the same connection. A failed release only means the lease runs out on its own.
        void mutex.release().catch(() => undefined);
      } else {
        await this.commit(conversationId, mutex, commit.ops);
      }
      for (const fn of commit.after) await fn();
      return result;
    } finally {
      for (const { fn, onError } of commit.afterTurn) this.leaveRunning(fn, onError);
    }
  }

  /** Starts `fn` without awaiting it; `settled` waits for it. */
  private leaveRunning(fn: () => Promise<unknown>, onError: (error: unknown) => void): void {
    const run = Promise.resolve().then(fn).catch(onError).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * The turn's held-back writes and the release, in one round trip. Refused (a state record
   * changed, the Direct Line conversation is gone, the lease was lost): nothing of them is stored
   * and the refusal is thrown, as the write itself would have thrown during the turn.
   */
  private async commit(conversationId: string, mutex: ConversationMutex, ops: CommitOp[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      let refusal: Awaited<ReturnType<ConversationMutex['commit']>>;
      try {
        refusal = await mutex.commit(ops);
      } catch (error) {
        // Sent but unanswered (Redis frozen): the commit may still run; the lease runs out on its own.
        mutex.abandon();
        throw asStoreError(error);
      }
      if (refusal === null) return;
      const again = refusal.op?.reseal ? await refusal.op.reseal(refusal.reason) : null;
      if (again) continue;
      await mutex.release().catch(() => undefined);
      if (refusal.op) throw refusal.op.refused(refusal.reason);
      throw new StoreUnavailableError(new Error(`the lease on conversation ${conversationId} was lost before its turn was stored`));
    }
    await mutex.release().catch(() => undefined);
    throw new Error(`the turn of conversation ${conversationId} lost ${MAX_COMMIT_ATTEMPTS} races for its transcript in a row`);
  }
}
