/**
 * The shared test Redis (127.0.0.1:6379 or REDIS_TEST_URL). Tests that need it fail loudly when it
 * is missing, never skip. Each test file works under its own random key prefix and removes only
 * those keys afterwards: other suites use the same server at the same time, so no FLUSHALL/FLUSHDB.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Redis } from 'ioredis';
import { connectRedis, type RedisConnection } from '../../bot/storage/redis.js';

export const REDIS_TEST_URL = process.env['REDIS_TEST_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  readonly url: string;
  /** e.g. `forbear-test:storage-contract:1f2e3d4c:`; every key this file writes starts with it. */
  readonly prefix: string;
  /** A new, independent, ready connection (one per simulated bot instance). */
  connect(name?: string): Promise<RedisConnection>;
  /** A plain client for inspecting keys. */
  readonly admin: Redis;
  /** Deletes this file's keys and closes every connection opened here. */
  cleanup(): Promise<void>;
}

export async function testRedis(suite: string): Promise<TestRedis> {
  const admin = new Redis(REDIS_TEST_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  admin.on('error', () => {}); // reported through connect() below
  try {
    await admin.connect();
    await admin.ping();
  } catch (error) {
    admin.disconnect();
    throw new Error(
      `Redis tests need a Redis server at ${REDIS_TEST_URL} (start one with \`redis-server\`, ` +
        `or set REDIS_TEST_URL): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const prefix = `forbear-test:${suite}:${randomBytes(4).toString('hex')}:`;
  const opened: RedisConnection[] = [];
  return {
    url: REDIS_TEST_URL,
    prefix,
    admin,
    async connect(name) {
      const connection = connectRedis({ url: REDIS_TEST_URL, prefix }, { connectionName: name });
      opened.push(connection);
      if (!(await connection.ready())) throw new Error(`could not connect to ${REDIS_TEST_URL}`);
      return connection;
    },
    async cleanup() {
      await deleteByPrefix(admin, prefix);
      await Promise.all(opened.map((c) => c.close()));
      admin.disconnect();
    },
  };
}

/**
 * Hooks for a test file: connects once, cleans up after. If Redis is unreachable every test of the
 * file fails with the connection error (a failing beforeAll alone would only mark them skipped).
 */
export function useTestRedis(suite: string): () => TestRedis {
  let redis: TestRedis | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      redis = await testRedis(suite);
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
  afterAll(() => redis?.cleanup());
  return () => redis!;
}

export async function deleteByPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
