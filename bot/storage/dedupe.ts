/**
 * Inbound de-duplication across instances: Direct Line activity ids, WeChat MsgId. A channel that
 * redelivers a message (timeout, retry, at-least-once webhook) gets it processed once.
 *
 * Call `forget` when processing a first-seen message fails before anything was acknowledged, so
 * the channel's retry is processed rather than dropped as a duplicate.
 */
import { guarded } from './errors.js';
import { ExpiringMap, type Now } from './expiringMap.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.js';

export interface InboxDedupe {
  /** True exactly once per (scope, messageId) within `ttlSec`, whichever instance asks. */
  firstSeen(scope: string, messageId: string, ttlSec: number): Promise<boolean>;
  forget(scope: string, messageId: string): Promise<void>;
}

export class MemoryInboxDedupe implements InboxDedupe {
  private readonly seen: ExpiringMap<true>;

  constructor(now?: Now) {
    this.seen = new ExpiringMap(now);
  }

  async firstSeen(scope: string, messageId: string, ttlSec: number): Promise<boolean> {
    const key = JSON.stringify([scope, messageId]);
    if (this.seen.get(key)) return false;
    this.seen.set(key, true, ttlSec * 1000);
    return true;
  }

  async forget(scope: string, messageId: string): Promise<void> {
    this.seen.delete(JSON.stringify([scope, messageId]));
  }
}

export class RedisInboxDedupe implements InboxDedupe {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Keyed (and hash-tagged) by message id so a busy scope spreads over the cluster. */
  redisKey(scope: string, messageId: string): string {
    return this.keys.global('seen', messageId, scope);
  }

  firstSeen(scope: string, messageId: string, ttlSec: number): Promise<boolean> {
    return guarded(async () => (await this.client.set(this.redisKey(scope, messageId), '1', 'EX', ttlSec, 'NX')) === 'OK');
  }

  forget(scope: string, messageId: string): Promise<void> {
    return guarded(async () => void (await this.client.del(this.redisKey(scope, messageId))));
  }
}
