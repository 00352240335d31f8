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
import type { RedisClient } from './redis.js';
import { VersionedRecords, type WriteCondition } from './versionedRecord.js';

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

export class RedisStorage implements ExpiringStorage {
  private readonly records: VersionedRecords;

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

  read(keys: string[]): Promise<StoreItems> {
    return guarded(async () => {
      const found = await Promise.all(keys.map((k) => this.records.read(this.redisKey(k))));
      const items: StoreItems = {};
      keys.forEach((key, i) => {
        const record = found[i];
        if (record) items[key] = { ...JSON.parse(record.value), eTag: record.etag };
      });
      return items;
    });
  }

  write(changes: StoreItems): Promise<void> {
    return guarded(async () => {
      await Promise.all(
        Object.entries(changes).map(async ([key, item]) => {
          const { eTag, ...value } = item as { eTag?: string };
          const condition: WriteCondition =
            eTag === undefined || eTag === '' || eTag === '*'
              ? { mode: 'any' }
              : { mode: 'match-or-absent', expected: eTag };
          const written = await this.records.write(
            this.redisKey(key),
            JSON.stringify(value),
            condition,
            this.options.ttlSec * 1000,
          );
          if (written === null) throw new ETagConflictError(key);
        }),
      );
    });
  }

  /** A shorter life for existing records; the next write sets the normal TTL (or none) again. */
  expire(keys: string[], ttlSec: number): Promise<void> {
    return guarded(async () => {
      await Promise.all(keys.map((k) => this.client.pexpire(this.redisKey(k), ttlSec * 1000)));
    });
  }

  delete(keys: string[]): Promise<void> {
    return guarded(() => this.records.delete(...keys.map((k) => this.redisKey(k))));
  }
}
