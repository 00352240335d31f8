/**
 * The two small pieces of state the channel keeps, as ports so a Redis implementation can be
 * passed in when several bot instances share one 公众号; the in-memory defaults suit one process.
 */

/** Any TTL key-value store (the Redis stores have this shape). */
export interface KeyValueStore {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string, ttlSec: number): Promise<unknown>;
}

/** `true` the first time `(scope, id)` is seen within `ttlSec`; atomic in real implementations. */
export interface Dedupe {
  firstSeen(scope: string, id: string, ttlSec: number): Promise<boolean>;
}

/** Expiring map; expired entries are swept as new ones arrive, so memory stays bounded by traffic × TTL. */
class ExpiringMap {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private nextSweep = 0;

  constructor(private readonly now: () => number) {}

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: string, ttlSec: number): void {
    const now = this.now();
    if (now >= this.nextSweep) {
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      this.nextSweep = now + 60_000;
    }
    this.entries.set(key, { value, expiresAt: now + ttlSec * 1000 });
  }
}

export class MemoryKeyValueStore implements KeyValueStore {
  private readonly map: ExpiringMap;
  constructor(now: () => number = Date.now) {
    this.map = new ExpiringMap(now);
  }
  async get(key: string): Promise<string | undefined> {
    return this.map.get(key);
  }
  async set(key: string, value: string, ttlSec: number): Promise<void> {
    this.map.set(key, value, ttlSec);
  }
}

export class MemoryDedupe implements Dedupe {
  private readonly map: ExpiringMap;
  constructor(now: () => number = Date.now) {
    this.map = new ExpiringMap(now);
  }
  async firstSeen(scope: string, id: string, ttlSec: number): Promise<boolean> {
    const key = `${scope}\u0000${id}`;
    if (this.map.get(key) !== undefined) return false;
    this.map.set(key, '1', ttlSec);
    return true;
  }
}
