/**
 * The in-memory twins' notion of expiry: entries carry a deadline on an injectable clock, expired
 * entries read as absent and are swept at most once a minute so the map cannot grow without bound.
 */
export type Now = () => number;

const SWEEP_EVERY_MS = 60_000;

export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private nextSweep: number;

  constructor(private readonly now: Now = Date.now) {
    this.nextSweep = now() + SWEEP_EVERY_MS;
  }

  get(key: string): V | undefined {
    this.sweep();
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.now() ? entry.value : undefined;
  }

  /** `ttlMs` 0 or absent keeps the entry forever. */
  set(key: string, value: V, ttlMs?: number): void {
    this.sweep();
    this.entries.set(key, { value, expiresAt: ttlMs ? this.now() + ttlMs : Infinity });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = this.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
