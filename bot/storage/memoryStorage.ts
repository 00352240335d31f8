/**
 * Bot Framework storage whose records can be given a shorter life than the rest: a chat opened and
 * never written in keeps its conversation state only briefly. botbuilder's MemoryStorage keeps
 * everything until the process ends, so the in-memory twin adds expiry to it (Redis has its own).
 */
import { MemoryStorage, type Storage, type StoreItems } from 'botbuilder-core';
import { writeText } from './stateText.js';

export interface ExpiringStorage extends Storage {
  /** These records expire `ttlSec` from now unless written again (a write gives them the normal lifetime). */
  expire(keys: string[], ttlSec: number): Promise<void>;
}

/** Sweeping every expired record is a pass over the scheduled ones; at most once a minute. */
const SWEEP_EVERY_MS = 60_000;

export class ExpiringMemoryStorage extends MemoryStorage implements ExpiringStorage {
  /** Only records given a shorter life; the others never expire, as in MemoryStorage. */
  private readonly deadlines = new Map<string, number>();
  private lastSweepMs = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  override async read(keys: string[]): Promise<StoreItems> {
    const t = this.now();
    for (const key of keys) if ((this.deadlines.get(key) ?? Infinity) <= t) this.drop(key);
    return super.read(keys);
  }

  override async write(changes: StoreItems): Promise<void> {
    // An overwrite (eTag '*' or none, as the conversation state writes) keeps the text its writer
    // made (stateText.ts) with the new eTag appended, instead of MemoryStorage's JSON.stringify of
    // a copy; a conditional write goes MemoryStorage's way, which checks the eTag.
    const checked: StoreItems = {};
    for (const [key, item] of Object.entries(changes)) {
      const eTag = (item as { eTag?: string }).eTag;
      if (eTag && eTag !== '*') checked[key] = item;
      else this.memory[key] = withETag(writeText(item), String(this.etag++));
    }
    await super.write(checked);
    for (const key of Object.keys(changes)) this.deadlines.delete(key);
  }

  async expire(keys: string[], ttlSec: number): Promise<void> {
    const t = this.now();
    for (const key of keys) this.deadlines.set(key, t + ttlSec * 1000);
    if (t - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = t;
    for (const [key, deadline] of this.deadlines) if (deadline <= t) this.drop(key);
  }

  private drop(key: string): void {
    delete this.memory[key];
    this.deadlines.delete(key);
  }
}

/** An object's JSON text (no eTag in it) with `"eTag"` as its last member, as MemoryStorage stores it. */
function withETag(json: string, eTag: string): string {
  const member = `"eTag":${JSON.stringify(eTag)}}`;
  return json === '{}' ? `{${member}` : `${json.slice(0, -1)},${member}`;
}
