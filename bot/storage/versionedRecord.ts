/**
 * One Redis hash per record, `{etag, value}`, written only through a compare-and-set Lua script so
 * the eTag check and the write are a single atomic step on the server. Both the Bot Framework
 * storage and the key-value store are built on this.
 */
import { randomUUID } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { defineScript, type RedisClient } from './redis.js';

/**
 * any: unconditional; absent: create only; match: the current eTag must equal `expected`;
 * match-or-absent: as match, but a missing record may be (re)created (MemoryStorage's rule).
 */
export type WriteCondition = { mode: 'any' | 'absent' } | { mode: 'match' | 'match-or-absent'; expected: string };

const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'etag')
local mode = ARGV[1]
if mode == 'absent' and current then return 0 end
if mode == 'match' and current ~= ARGV[2] then return 0 end
if mode == 'match-or-absent' and current and current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'etag', ARGV[3], 'value', ARGV[4])
local ttl = tonumber(ARGV[5])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1
`;

export interface StoredRecord {
  etag: string;
  value: string;
}

/** A record's fields, in the order `readReply` reads them. */
const FIELDS = ['etag', 'value'] as const;

/** Queues the read of a record on a pipeline; its reply becomes the record with `readReply`. */
export function readRecord(pipeline: ChainableCommander, key: string): ChainableCommander {
  return pipeline.hmget(key, ...FIELDS);
}

export function readReply(reply: unknown): StoredRecord | undefined {
  const [etag, value] = reply as [string | null, string | null];
  return etag && value !== null && value !== undefined ? { etag, value } : undefined;
}

export class VersionedRecords {
  private readonly compareAndSet: ReturnType<typeof defineScript>;

  constructor(private readonly client: RedisClient) {
    this.compareAndSet = defineScript(client, 'forbearCompareAndSet', 1, COMPARE_AND_SET);
  }

  async read(key: string): Promise<StoredRecord | undefined> {
    return readReply(await this.client.hmget(key, ...FIELDS));
  }

  /** The new eTag, or null when the condition did not hold (nothing was written). */
  async write(key: string, value: string, condition: WriteCondition, ttlMs: number): Promise<string | null> {
    const etag = randomUUID();
    const expected = 'expected' in condition ? condition.expected : '';
    const written = await this.compareAndSet([key], [condition.mode, expected, etag, value, ttlMs]);
    return written === 1 ? etag : null;
  }

  async delete(...keys: string[]): Promise<void> {
    // One DEL per key: keys of different conversations live in different cluster slots.
    await Promise.all(keys.map((k) => this.client.del(k)));
  }
}
