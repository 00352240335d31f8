/**
 * Bot Framework `Storage` on Redis with the same eTag rules as botbuilder's MemoryStorage: a write
 * whose eTag is missing or '*' overwrites; a write with any other eTag succeeds only if it is still
 * the stored one (or nothing is stored), otherwise it is rejected with the eTag-conflict error.
 * Every write issues a fresh eTag and restarts the idle TTL.
 */
import type { StoreItems } from 'botbuilder';
import type { ExpiringStorage } from './memoryStorage.js';
import { ETagConflictError, guarded } from './errors.js';
import type { RedisKeys } from './keys.js';
import { randomUUID } from 'node:crypto';
import { deferToCommit, forgetPrefetched, heldBackRecord, takePrefetched, undefer } from './lock.js';
import type { RedisClient } from './redis.js';
import { markRead, writeText } from './stateText.js';
import type { CommitOp } from './redisCommit.js';
import { VersionedRecords, argsText, argsWrite, recordArgs, setArgsTtl, type StoredRecord, type WriteCondition } from './versionedRecord.js';

/**
 * botbuilder's state keys: `<channel>/conversations/<id>/<namespace>` (ConversationState; the
 * namespace is usually empty, so the key ends in `/`) and `<channel>/conversations/<id>/users/<user>/…`.
 * The id must come out without that trailing part, or the state lands outside its conversation's slot.
 */
const CONVERSATION_KEY = /^[^/]+\/conversations\/(.+?)(?:\/users\/.*|\/[^/]*)?$/;

export interface RedisStorageOptions {
  /** Idle expiry after the last write, in seconds; 0 keeps state forever. */
  ttlSec: number;
}

/** Conversations whose state keys this instance remembers (for the lock to read them with the lease). */
const KNOWN_CONVERSATIONS = 10_000;
/** Shapes of conversation state keys remembered (one per channel and state namespace in practice). */
const SHAPES = 4;

export class RedisStorage implements ExpiringStorage {
  private readonly records: VersionedRecords;
  /** The state records each recent conversation's turns read, most recent conversation last. */
  private readonly known = new Map<string, string[]>();
  /**
   * What the state keys turns read look like around their conversation id (e.g. `directline/conversations/`
   * + id + `/`), most recent last: a conversation this instance has not run a turn of reads the same.
   */
  private readonly shapes = new Map<string, { before: string; after: string }>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisStorageOptions,
  ) {
    this.records = new VersionedRecords(client);
  }

  /** Conversation state shares its conversation's slot; anything else (user state) gets its own. */
  redisKey(storageKey: string): string {
    const conversationId = CONVERSATION_KEY.exec(storageKey)?.[1];
    return conversationId === undefined
      ? this.keys.global('state', storageKey)
      : this.keys.conversation(conversationId, 'state', storageKey);
  }

  /**
   * The state records a turn of this conversation is expected to read — those its last turn on
   * this instance read, or, for a conversation new here (its greeting, a turn that ran elsewhere
   * before), the keys of the shapes other conversations' turns read. The conversation lock reads
   * them in the round trip that takes the lease, so a turn's state costs no round trip of its own;
   * a key guessed wrong is one read nobody takes, and a record not read with the lease is read as usual.
   */
  turnKeys(conversationId: string): readonly string[] {
    return this.known.get(conversationId) ?? [...this.shapes.values()].map(({ before, after }) => this.redisKey(`${before}${conversationId}${after}`));
  }

  private async readOne(storageKey: string): Promise<StoredRecord | undefined> {
    const key = this.redisKey(storageKey);
    const conversationId = CONVERSATION_KEY.exec(storageKey)?.[1];
    if (conversationId === undefined) return this.records.read(key);
    this.remember(conversationId, key);
    this.rememberShape(storageKey, conversationId);
    // Written earlier in this turn, not yet sent: the turn reads its own write.
    const pending = heldBack(conversationId, key);
    if (pending) return pending.record;
    const prefetched = takePrefetched(conversationId, key);
    return prefetched ? prefetched.record : this.records.read(key);
  }

  private remember(conversationId: string, key: string): void {
    const keys = this.known.get(conversationId) ?? [];
    this.known.delete(conversationId);
    this.known.set(conversationId, keys.includes(key) ? keys : [...keys, key]);
    if (this.known.size > KNOWN_CONVERSATIONS) this.known.delete(this.known.keys().next().value!);
  }

  /** A shape names no user (`…/users/<user>/…` keys belong to one conversation's members). */
  private rememberShape(storageKey: string, conversationId: string): void {
    const at = storageKey.indexOf('/conversations/') + '/conversations/'.length;
    const before = storageKey.slice(0, at);
    const after = storageKey.slice(at + conversationId.length);
    if (storageKey.slice(at, at + conversationId.length) !== conversationId || after.includes('/users/')) return;
    const shape = `${before}\u0000${after}`;
    this.shapes.delete(shape);
    this.shapes.set(shape, { before, after });
    if (this.shapes.size > SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
  }

  private forget(storageKey: string): void {
    const conversationId = CONVERSATION_KEY.exec(storageKey)?.[1];
    if (conversationId !== undefined) forgetPrefetched(conversationId, this.redisKey(storageKey));
  }

  read(keys: string[]): Promise<StoreItems> {
    return guarded(async () => {
      const found = await Promise.all(keys.map((k) => this.readOne(k)));
      const items: StoreItems = {};
      keys.forEach((key, i) => {
        const record = found[i];
        if (record) items[key] = markRead({ ...JSON.parse(record.value), eTag: record.etag }, record.value);
      });
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    return guarded(async () => {
      await Promise.all(
        Object.entries(changes).map(async ([key, item]) => {
          const eTag = (item as { eTag?: string }).eTag;
          const value = writeText(item);
          this.forget(key);
          const condition: WriteCondition =
            eTag === undefined || eTag === '' || eTag === '*'
              ? { mode: 'any' }
              : { mode: 'match-or-absent', expected: eTag };
          if (this.deferWrite(key, value, condition)) return;
          const written = await this.records.write(
            this.redisKey(key),
            value,
            condition,
            this.options.ttlSec * 1000,
          );
          if (written === null) throw new ETagConflictError(key);
        }),
      );
    });
  }

  /**
   * Under its conversation's Redis lease a state write goes out with the turn's commit (its other
   * writes and the release, one round trip), compare-and-set there as here; a conflict then fails
   * the turn as it would have failed here. A second write of the same record in the turn replaces
   * the held one if it names the eTag the first gave (as a stored write would have required),
   * keeping the first one's condition against what is stored. False: write now.
   */
  private deferWrite(storageKey: string, value: string, condition: WriteCondition): boolean {
    const conversationId = CONVERSATION_KEY.exec(storageKey)?.[1];
    if (conversationId === undefined) return false;
    const key = this.redisKey(storageKey);
    const etag = randomUUID();
    const ttlMs = this.options.ttlSec * 1000;
    const pending = heldBack(conversationId, key);
    if (pending) {
      if ('expected' in condition && condition.expected !== pending.record.etag) throw new ETagConflictError(storageKey);
      pending.op.args = recordArgs(key, value, pending.condition, etag, ttlMs);
      return true;
    }
    return deferToCommit(conversationId, {
      kind: 'record',
      keys: [key],
      args: recordArgs(key, value, condition, etag, ttlMs),
      refused: () => new ETagConflictError(storageKey),
    });
  }

  /** A shorter life for existing records; the next write sets the normal TTL (or none) again. */
  expire(keys: string[], ttlSec: number): Promise<void> {
    return guarded(async () => {
      await Promise.all(
        keys.map((k) => {
          // A write this turn holds back is stored with the shorter life instead.
          const pending = this.pending(k);
          if (pending) setArgsTtl(pending.op.args, ttlSec * 1000);
          return pending ? undefined : this.client.pexpire(this.redisKey(k), ttlSec * 1000);
        }),
      );
    });
  }

  delete(keys: string[]): Promise<void> {
    keys.forEach((k) => {
      const pending = this.pending(k);
      if (pending) undefer(CONVERSATION_KEY.exec(k)![1]!, pending.op);
      this.forget(k);
    });
    return guarded(() => this.records.delete(...keys.map((k) => this.redisKey(k))));
  }

  private pending(storageKey: string): ReturnType<typeof heldBack> {
    const conversationId = CONVERSATION_KEY.exec(storageKey)?.[1];
    return conversationId === undefined ? undefined : heldBack(conversationId, this.redisKey(storageKey));
  }
}

/** The record write of `key` the current turn of `conversationId` holds back, as a read would see it. */
function heldBack(conversationId: string, key: string): { op: CommitOp; record: StoredRecord; condition: WriteCondition } | undefined {
  const op = heldBackRecord(conversationId, key);
  // State is removed at once, never held back (`delete`): only a held write is found here.
  if (op?.kind !== 'record') return undefined;
  const { condition, etag } = argsWrite(op.args);
  return { op, record: { etag, value: argsText(key, op.args) }, condition };
}
