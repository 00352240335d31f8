/**
 * A shared set of short strings (e.g. the references of every active arrangement) that many writers
 * add to and remove from at once. Each change touches one member: no writer reads or rewrites the
 * others, so concurrent writers never conflict and a change costs the same with ten or a million
 * members. (A list kept as one record is rewritten whole by every change and contended by every
 * concurrent writer's compare-and-set.)
 */
import { createHash } from 'node:crypto';
import { guarded } from './errors.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.js';

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
 * strings as a hash table (≈ 56 bytes a member of 17 characters), while a hash of up to 128 short
 * fields stays a listpack (≈ 20 bytes a member), so up to ≈ 8,000 members cost about what their text
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
