/**
 * Everything that must be shared between bot instances, behind one switch: with REDIS_URL (or
 * REDIS_CLUSTER_NODES) it lives in Redis and any instance can serve any request; without, the
 * in-memory twins serve a single embedded process.
 */
import type { z } from 'zod';
import { MemoryArrangementRepository, RedisArrangementRepository } from './arrangements.js';
import { type ArrangementRepository } from '../../conversation/arrangement.js';
import { MemoryInboxDedupe, RedisInboxDedupe, type InboxDedupe } from './dedupe.js';
import { MemoryKeyValueStore, RedisKeyValueStore, type KeyValueOptions, type KeyValueStore } from './keyValue.js';
import {
  DEFAULT_LOCK_OPTIONS,
  MemoryConversationLock,
  RedisConversationLock,
  type ConversationLock,
  type RedisLockOptions,
} from './lock.js';
import { connectRedis, type ConnectOptions, type RedisConnection, type RedisSettingsInput, type StoreHealth } from './redis.js';
import { RedisStorage } from './redisStorage.js';
import { ExpiringMemoryStorage, type ExpiringStorage } from './memoryStorage.js';
import { MemoryMemberSet, MemoryRankedSet, RedisMemberSet, RedisRankedSet, type MemberSet, type RankedSet } from './sets.js';

export interface Stores {
  readonly backend: StoreHealth['backend'];
  /** Bot Framework state (ConversationState, UserState). */
  readonly storage: ExpiringStorage;
  readonly lock: ConversationLock;
  readonly dedupe: InboxDedupe;
  readonly arrangements: ArrangementRepository;
  /** The Redis connection behind these stores, for parts that keep their own structures (transcripts); null in memory. */
  readonly redis: RedisConnection | null;
  keyValue<S extends z.ZodType>(options: KeyValueOptions<S>): KeyValueStore<z.output<S>>;
  /** A shared set of short strings that many writers change at once (bot/storage/sets.ts). */
  memberSet(namespace: string): MemberSet;
  /** A shared queue in score order that many writers change at once (bot/storage/sets.ts). */
  rankedSet(namespace: string): RankedSet;
  /** For the readiness probe; never throws. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** `now`: the clock the in-memory state expiry reads (tests move it). */
export function memoryStores(now: () => number = Date.now): Stores {
  return {
    backend: 'memory',
    storage: new ExpiringMemoryStorage(now),
    lock: new MemoryConversationLock(),
    dedupe: new MemoryInboxDedupe(),
    arrangements: new MemoryArrangementRepository(),
    redis: null,
    keyValue: (options) => new MemoryKeyValueStore(options),
    memberSet: () => new MemoryMemberSet(),
    rankedSet: () => new MemoryRankedSet(),
    health: async () => ({ status: 'up', backend: 'memory' }),
    close: async () => {},
  };
}

export interface OpenStoresOptions extends ConnectOptions {
  lock?: RedisLockOptions;
  /** How long start-up waits for the first connection. Redis being down at start is not fatal: readiness stays red. */
  readyTimeoutMs?: number;
}

/** Redis-backed stores when settings are given, the in-memory twins otherwise. */
export async function openStores(settings: RedisSettingsInput | null, options: OpenStoresOptions = {}): Promise<Stores> {
  if (settings === null) return memoryStores();
  const connection = connectRedis(settings, options);
  await connection.ready(options.readyTimeoutMs);
  const { client, keys } = connection;
  const storage = new RedisStorage(client, keys, { ttlSec: connection.settings.stateTtlSec });
  const withTurn: Array<{ turnKeys(conversationId: string): readonly string[] }> = [];
  return {
    backend: connection.settings.clusterNodes ? 'redis-cluster' : 'redis',
    storage,
    // A turn's conversation state (and what `withTurn` stores hold for it) is read in the round trip that takes its lock.
    lock: new RedisConversationLock(client, keys, options.lock ?? DEFAULT_LOCK_OPTIONS, (id) => [...storage.turnKeys(id), ...withTurn.flatMap((s) => s.turnKeys(id))]),
    dedupe: new RedisInboxDedupe(client, keys),
    arrangements: new RedisArrangementRepository(client, keys),
    redis: connection,
    keyValue: (kv) => {
      const store = new RedisKeyValueStore(client, keys, kv);
      if (kv.withTurn) withTurn.push(store);
      return store;
    },
    memberSet: (namespace) => new RedisMemberSet(client, keys, namespace),
    rankedSet: (namespace) => new RedisRankedSet(client, keys, namespace),
    health: () => connection.health(),
    close: () => connection.close(),
  };
}

export { StoreHealth, type RedisSettings } from './redis.js';
export { StoreUnavailableError, ETagConflictError, ConversationBusyError } from './errors.js';
export { Arrangement, type ArrangementRepository, type CreateOnceResult } from '../../conversation/arrangement.js';
export type { ConversationLock } from './lock.js';
export type { InboxDedupe } from './dedupe.js';
export type { KeyValueStore, KeyValueOptions } from './keyValue.js';
export { moveLegacyList, type MemberSet, type RankedSet } from './sets.js';
