/**
 * Shared collections that many writers change at once: a set of short strings (the references of
 * every active arrangement) and a queue in score order (the handoff queue). Each change touches one
 * member: no writer reads or rewrites the others, so concurrent writers never conflict and a change
 * costs the same with ten or a million members. (A list kept as one record, as both were before, is
 * rewritten whole by every change and contended by every concurrent writer's compare-and-set.)
 */
import { createHash } from 'node:crypto';
import { guarded } from './errors.js';
import type { KeyValueStore } from './keyValue.js';
import type { RedisKeys } from './keys.js';
import { defineScript, type RedisClient } from './redis.js';

/** A set of short strings. */
export interface MemberSet {
  add(member: string): Promise<void>;
  remove(member: string): Promise<void>;
  /** Every member, in no particular order. */
  members(): Promise<string[]>;
}

export class MemoryMemberSet implements MemberSet {
  private readonly set = new Set<string>();

  async add(member: string): Promise<void> {
    this.set.add(member);
  }

  async remove(member: string): Promise<void> {
    this.set.delete(member);
  }

  async members(): Promise<string[]> {
    return [...this.set];
  }
}

/**
 * Members spread over BUCKETS Redis hashes (member → ""), not one Redis set: Redis 7.0 keeps a set of
 * strings as a hash table (≈ 72 bytes a member of 17 characters, measured over 3,000), while a hash of up to 128 short
 * fields stays a listpack (≈ 26 bytes a member with the buckets' own keys), so up to ≈ 8,000 members cost about what their text
 * does; beyond that a bucket turns into a hash table on its own and everything still works. More
 * buckets would keep more members compact but cost every small deployment their empty keys. Each
 * bucket is its own hash tag, so on a Cluster the buckets spread over the nodes.
 */
export const BUCKETS = 64;

export class RedisMemberSet implements MemberSet {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly namespace: string,
  ) {}

  /** The bucket of a member: any well-spread function of its text does; this one is stable across versions and instances. */
  redisKey(member: string): string {
    return this.bucketKey(createHash('sha1').update(member).digest()[0]! % BUCKETS);
  }

  private bucketKey(bucket: number): string {
    return this.keys.global('members', `${this.namespace}:${bucket}`);
  }

  add(member: string): Promise<void> {
    return guarded(async () => void (await this.client.hset(this.redisKey(member), member, '')));
  }

  remove(member: string): Promise<void> {
    return guarded(async () => void (await this.client.hdel(this.redisKey(member), member)));
  }

  members(): Promise<string[]> {
    // Sent together (one round trip on a single node; ioredis auto-pipelining).
    return guarded(async () =>
      (await Promise.all(Array.from({ length: BUCKETS }, (_, b) => this.client.hkeys(this.bucketKey(b))))).flat(),
    );
  }
}

/** Members kept in score order (lowest first; equal scores by member); a change is O(log n). */
export interface RankedSet {
  /**
   * Adds the member or moves it to `score`; resolves to its rank (0 = first) just after. A score
   * that is not a finite number is refused (RangeError) before anything is stored: Redis refuses
   * NaN, and a NaN kept in memory would sort nowhere in particular.
   */
  put(member: string, score: number): Promise<number>;
  remove(member: string): Promise<void>;
  /**
   * Removes the member only while its score is still `score` (as `entries` read it): one put
   * since, with another score, keeps it. For clean-ups decided on a read that a writer may
   * overtake (a case opened again after the read found it closed).
   */
  removeAt(member: string, score: number): Promise<void>;
  /** Every member with its score, in order. */
  entries(): Promise<Array<[member: string, score: number]>>;
}

function finite(score: number): string {
  if (!Number.isFinite(score)) throw new RangeError(`a ranked set's score must be a finite number, not ${score}`);
  return String(score);
}

const byScoreThenMember = (a: [string, number], b: [string, number]) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class MemoryRankedSet implements RankedSet {
  private readonly scores = new Map<string, number>();

  async put(member: string, score: number): Promise<number> {
    finite(score);
    this.scores.set(member, score);
    let rank = 0;
    for (const entry of this.scores) if (byScoreThenMember(entry, [member, score]) < 0) rank++;
    return rank;
  }

  async remove(member: string): Promise<void> {
    this.scores.delete(member);
  }

  async removeAt(member: string, score: number): Promise<void> {
    if (this.scores.get(member) === score) this.scores.delete(member);
  }

  async entries(): Promise<Array<[string, number]>> {
    return [...this.scores].sort(byScoreThenMember);
  }
}

/** ZREM only while ZSCORE is still ARGV[2] (compared as numbers: Redis and JavaScript may write a double differently). */
const REMOVE_AT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`;

/** One Redis sorted set (the same order: score, then member byte by byte). */
export class RedisRankedSet implements RankedSet {
  private readonly removeAtScript: ReturnType<typeof defineScript>;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly namespace: string,
  ) {
    this.removeAtScript = defineScript(client, 'forbearRankedRemoveAt', 1, REMOVE_AT);
  }

  redisKey(): string {
    return this.keys.global('ranked', this.namespace);
  }

  put(member: string, score: number): Promise<number> {
    return guarded(async () => {
      // One transaction: the rank is the member's own, not one after another writer's change.
      const replies = await this.client.multi().zadd(this.redisKey(), finite(score), member).zrank(this.redisKey(), member).exec();
      const [error, rank] = replies?.[1] ?? [new Error('transaction discarded'), null];
      if (error) throw error;
      return Number(rank);
    });
  }

  remove(member: string): Promise<void> {
    return guarded(async () => void (await this.client.zrem(this.redisKey(), member)));
  }

  removeAt(member: string, score: number): Promise<void> {
    return guarded(async () => void (await this.removeAtScript([this.redisKey()], [member, finite(score)])));
  }

  entries(): Promise<Array<[string, number]>> {
    return guarded(async () => {
      const flat = await this.client.zrange(this.redisKey(), '0', '-1', 'WITHSCORES');
      return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, Number(flat[2 * i + 1])] as [string, number]);
    });
  }
}

/**
 * Moves what an earlier version kept as one list in one record (`key` of `list`) into the collection
 * that replaced it: `move` puts each entry there (doing it twice is harmless), then only the moved
 * entries are taken off the list, by compare-and-set, so an entry an instance of the earlier version
 * adds meanwhile (a rolling upgrade) stays for the next call. The emptied list is left: deleting it
 * could drop such an entry.
 */
export async function moveLegacyList<T>(list: KeyValueStore<T[]>, key: string, move: (entry: T) => Promise<unknown>): Promise<void> {
  const legacy = await list.getVersioned(key);
  if (legacy === undefined || legacy.value.length === 0) return;
  await Promise.all(legacy.value.map(move));
  const moved = new Set(legacy.value.map((entry) => JSON.stringify(entry)));
  await list.update(key, (current = []) => current.filter((entry) => !moved.has(JSON.stringify(entry))), 0, legacy);
}
