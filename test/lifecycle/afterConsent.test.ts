/**
 * On Redis the consent turn ends — and replies — before its new ledger is published (the outbox's
 * `arrangement.created`, the first reminder's job): the arrangement and its ledger are stored
 * within the turn, the publishing runs after it, and a publishing that a stopped process never
 * finished is done by the next process's start.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createForbear, type Forbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import type { JobQueue } from '../../bot/lifecycle/jobs.js';
import { PATIENCE_MS, until } from '../support/until.js';
import { useTestRedis } from '../support/redis.js';
import { conclude } from './fixtures.js';

const redis = useTestRedis('after-consent');
const outboxLog = join(mkdtempSync(join(tmpdir(), 'after-consent-')), 'outbox.jsonl');
const now = new Date('2026-11-22T02:00:00Z');
const running: Forbear[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) await f.close();
});

async function instance(): Promise<Forbear> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    LEDGER_ASSESS_INTERVAL_MIN: '0',
    REDIS_URL: redis().url,
    REDIS_KEY_PREFIX: redis().prefix,
    TRANSCRIPT_HMAC_KEY: 'after-consent-transcript-key-0123456789',
    OUTBOX_LOG: outboxLog,
  });
  const forbear = await createForbear({ config, clock: { now: () => now }, logger: createLogger('silent') });
  running.push(forbear);
  return forbear;
}

/** The ids a queue is asked to add, in order; `before` runs first (to hold or fail the add). */
function adds<T>(queue: JobQueue<T>, before: () => Promise<void> = async () => {}): string[] {
  const ids: string[] = [];
  const add = queue.add.bind(queue);
  queue.add = async (id, data, runAt) => {
    await before();
    ids.push(id);
    return add(id, data, runAt);
  };
  return ids;
}

/** The consent as the bot's turn makes it: under the conversation's lock (its Redis lease). */
function consentTurn(forbear: Forbear, conversationId: string, accountId: string) {
  return forbear.stores.lock.withLock(conversationId, () => conclude(forbear, conversationId, accountId, '2026-11-22'));
}

const unpublished = (forbear: Forbear) => (forbear.lifecycle.book as unknown as { unpublished: { members(): Promise<string[]> } }).unpublished.members();

describe('the consent turn on Redis', () => {
  it('ends with the arrangement and its ledger stored, before the ledger is published; the publishing follows', async () => {
    const forbear = await instance();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const outbox = adds(forbear.lifecycle.queues.outbox, () => held);
    const contact = adds(forbear.lifecycle.queues.contact);
    const a = await Promise.race([
      consentTurn(forbear, 'after-1', 'cn-m1-wang'),
      sleep(PATIENCE_MS / 4).then(() => Promise.reject(new Error('the consent turn waited for the outbox'))),
    ]);
    // Durable when the turn ends: the arrangement, and its ledger listed as not yet published.
    expect((await forbear.stores.arrangements.get(a.reference))?.consentText).toBe('同意');
    expect((await forbear.lifecycle.book.get(a.reference))?.published).toBe(-1);
    expect(await unpublished(forbear)).toContain(a.reference);
    expect([outbox, contact]).toEqual([[], []]);
    release();
    await forbear.stores.lock.settled();
    expect(outbox).toEqual([`outbox:${a.reference}:created`]);
    expect(contact).toEqual([expect.stringMatching(new RegExp(`^${a.reference}:reminder:1:`))]);
    expect((await forbear.lifecycle.book.get(a.reference))?.published).toBe(0);
    expect(await unpublished(forbear)).not.toContain(a.reference);
  }, 60_000);

  it('stopped after its reply, before the first reminder was planned: the next process publishes and plans it at start', async () => {
    const first = await instance();
    // The process "stops" at the contact job: the outbox event is queued, the reminder is not, the cursor not moved.
    adds(first.lifecycle.queues.contact, () => Promise.reject(new Error('stopped here')));
    const a = await consentTurn(first, 'after-2', 'cn-m2-li');
    await first.stores.lock.settled();
    expect((await first.lifecycle.book.get(a.reference))?.published).toBe(-1);
    expect(await unpublished(first)).toContain(a.reference);
    await first.close();
    running.splice(running.indexOf(first), 1);

    const next = await instance();
    const outbox = adds(next.lifecycle.queues.outbox);
    const contact = adds(next.lifecycle.queues.contact);
    next.lifecycle.start({});
    await until(async () => (await next.lifecycle.book.get(a.reference))?.published === 0);
    expect(outbox).toContain(`outbox:${a.reference}:created`);
    expect(contact).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${a.reference}:reminder:1:`))]));
    expect(await unpublished(next)).not.toContain(a.reference);
  }, 60_000);
});
