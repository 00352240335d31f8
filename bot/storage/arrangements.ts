/**
 * Where arrangements are kept. `createOnce` is exactly-once per idempotency key across instances:
 * a "yes" redelivered, retried or processed by two instances at once yields one arrangement, and
 * every caller gets the same reference back. Arrangements never expire.
 */
import { guarded } from './errors.js';
import {
  Arrangement,
  newReference,
  normalizeReference,
  type ArrangementReference,
  type ArrangementRepository,
  type CreateOnceResult,
} from '../../conversation/arrangement.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.js';
import { storedText, textOfStored } from './compact.js';

/** Random references collide about once in 10^12 draws a year; a few redraws make that never. */
const MAX_REFERENCE_DRAWS = 8;

function built(build: (reference: ArrangementReference) => Arrangement, reference: ArrangementReference): Arrangement {
  const arrangement = Arrangement.parse(build(reference));
  if (arrangement.reference !== reference) throw new Error(`arrangement built with reference ${arrangement.reference}, expected ${reference}`);
  return arrangement;
}

const oldestFirst = (a: Arrangement, b: Arrangement) =>
  a.createdAt.localeCompare(b.createdAt) || a.reference.localeCompare(b.reference);

function referenceExhausted(): Error {
  return new Error(`no unused arrangement reference after ${MAX_REFERENCE_DRAWS} draws`);
}

export class MemoryArrangementRepository implements ArrangementRepository {
  private readonly byKey = new Map<string, string>();
  private readonly byReference = new Map<string, string>();
  /** References per conversation and per account, like the Redis sets: a listing reads only its own. */
  private readonly byConversation = new Map<string, string[]>();
  private readonly byAccount = new Map<string, string[]>();

  constructor(private readonly draw: () => ArrangementReference = newReference) {}

  async createOnce(idempotencyKey: string, build: (reference: ArrangementReference) => Arrangement) {
    const existing = this.byKey.get(idempotencyKey);
    if (existing !== undefined) return { arrangement: Arrangement.parse(JSON.parse(existing)), created: false };
    for (let i = 0; i < MAX_REFERENCE_DRAWS; i++) {
      const reference = this.draw();
      if (this.byReference.has(reference)) continue;
      const arrangement = built(build, reference);
      const text = JSON.stringify(arrangement);
      this.byKey.set(idempotencyKey, text);
      this.byReference.set(reference, text);
      for (const [index, id] of [[this.byConversation, arrangement.conversationId], [this.byAccount, arrangement.accountId]] as const) {
        index.set(id, [...(index.get(id) ?? []), reference]);
      }
      return { arrangement, created: true };
    }
    throw referenceExhausted();
  }

  async get(reference: string) {
    const normalized = normalizeReference(reference);
    const text = normalized === null ? undefined : this.byReference.get(normalized);
    return text === undefined ? undefined : Arrangement.parse(JSON.parse(text));
  }

  async listByConversation(conversationId: string) {
    return this.listed(this.byConversation.get(conversationId));
  }

  async listByAccount(accountId: string) {
    return this.listed(this.byAccount.get(accountId));
  }

  async referencesByAccount(accountId: string) {
    return [...(this.byAccount.get(accountId) ?? [])];
  }

  private listed(references: string[] = []): Arrangement[] {
    return references.map((r) => Arrangement.parse(JSON.parse(this.byReference.get(r)!))).sort(oldestFirst);
  }
}

/**
 * Layout: the record lives at the idempotency key (`arrangement:{<key>}`), created with SET NX, so
 * "exactly once" is one atomic command on one slot. A reference is claimed first with SET NX on
 * `arrangement-ref:{<reference>}` (its value is the idempotency key), which is both the collision
 * check and the lookup for `get`. The conversation and account indexes are sets of references,
 * added idempotently after the record and again on every later createOnce of the same key, so a
 * crash between the record and its indexes is repaired by the cardholder's retry. The record's
 * JSON is kept compact (bot/storage/compact.ts `storedText`: ≈ 1.6 → 0.8 KiB); records written
 * before as plain JSON read as they were.
 */
export class RedisArrangementRepository implements ArrangementRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly draw: () => ArrangementReference = newReference,
  ) {}

  private recordKey = (idempotencyKey: string) => this.keys.global('arrangement', idempotencyKey);
  private referenceKey = (reference: string) => this.keys.global('arrangement-ref', reference);
  private conversationIndex = (conversationId: string) => this.keys.conversation(conversationId, 'arrangements');
  private accountIndex = (accountId: string) => this.keys.global('account', accountId, 'arrangements');

  createOnce(idempotencyKey: string, build: (reference: ArrangementReference) => Arrangement) {
    const recordKey = this.recordKey(idempotencyKey);
    return guarded(async (): Promise<CreateOnceResult> => {
      for (let i = 0; i < MAX_REFERENCE_DRAWS; i++) {
        const reference = this.draw();
        const referenceKey = this.referenceKey(reference);
        // The look for an earlier record and the claim of a reference go together (one round trip,
        // see bot/storage/redis.ts); a consent already recorded gives its claim back.
        const [existing, claimed] = await Promise.all([i === 0 ? this.client.getBuffer(recordKey) : null, this.client.set(referenceKey, idempotencyKey, 'NX')]);
        if (existing !== null) {
          if (claimed === 'OK') await this.client.del(referenceKey);
          return { arrangement: await this.indexed(existing), created: false };
        }
        if (claimed !== 'OK') continue;
        let arrangement: Arrangement;
        try {
          arrangement = built(build, reference);
        } catch (error) {
          await this.client.del(referenceKey);
          throw error;
        }
        // The record and its index entries go together too: an entry whose record is missing or
        // names another reference (a crash in between, a lost race) lists nothing (`get`).
        const [recorded] = await Promise.all([this.client.set(recordKey, storedText(JSON.stringify(arrangement)), 'NX'), this.index(arrangement)]);
        if (recorded === 'OK') return { arrangement, created: true };
        // Another instance recorded this consent first: ours was never shown to anyone.
        await Promise.all([this.client.del(referenceKey), this.index(arrangement, 'remove')]);
        return { arrangement: await this.indexed((await this.client.getBuffer(recordKey))!), created: false };
      }
      throw referenceExhausted();
    });
  }

  get(reference: string) {
    return guarded(async () => {
      const normalized = normalizeReference(reference);
      if (normalized === null) return undefined;
      const idempotencyKey = await this.client.get(this.referenceKey(normalized));
      if (idempotencyKey === null) return undefined;
      const stored = await this.client.getBuffer(this.recordKey(idempotencyKey));
      const arrangement = stored === null ? undefined : Arrangement.parse(JSON.parse(textOfStored(stored)));
      // A claim left by a crash before the record was written, or by the loser of a race, names no arrangement.
      return arrangement?.reference === normalized ? arrangement : undefined;
    });
  }

  listByConversation(conversationId: string) {
    return this.listed(this.conversationIndex(conversationId));
  }

  listByAccount(accountId: string) {
    return this.listed(this.accountIndex(accountId));
  }

  referencesByAccount(accountId: string) {
    return guarded(() => this.client.smembers(this.accountIndex(accountId)));
  }

  private listed(indexKey: string) {
    return guarded(async () => {
      const references = await this.client.smembers(indexKey);
      const found = await Promise.all(references.map((r) => this.get(r)));
      return found.filter((a): a is Arrangement => a !== undefined).sort(oldestFirst);
    });
  }

  private async indexed(stored: Buffer): Promise<Arrangement> {
    const arrangement = Arrangement.parse(JSON.parse(textOfStored(stored)));
    await this.index(arrangement);
    return arrangement;
  }

  private async index(arrangement: Arrangement, change: 'add' | 'remove' = 'add'): Promise<void> {
    const indexes = [this.conversationIndex(arrangement.conversationId), this.accountIndex(arrangement.accountId)];
    await Promise.all(indexes.map((key) => (change === 'add' ? this.client.sadd(key, arrangement.reference) : this.client.srem(key, arrangement.reference))));
  }
}
