/**
 * The lifecycle on Redis with BullMQ, against a test-owned persistent redis-server: arrangement
 * events reach a signed webhook at least once (retried while it answers 500), survive a process
 * restart and Redis being killed mid-run; a payment while Redis is down is refused whole and
 * applied once when it is back; a scheduled contact runs once.
 */
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PATIENCE_MS } from '../support/until.js';
import { createForbear, type Forbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../bot/lifecycle/signature.js';
import type { OutboxEvent } from '../../bot/lifecycle/outbox.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redisServer.js';
import { conclude } from './fixtures.js';

const OUT_SECRET = 'outbox-secret-outbox-secret-0123456789';
let redis: OwnedRedis;
let receiver: Server;
let receiverUrl: string;
let failing = false;
const received: { id: string; key: string; event: OutboxEvent; signed: boolean }[] = [];
/** Event ids the receiver answered 500 while `failing`. */
const refused: string[] = [];

beforeAll(async () => {
  redis = await startOwnedRedis({ persistent: true });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failing) {
        refused.push((JSON.parse(body) as OutboxEvent).id);
        res.writeHead(500).end();
        return;
      }
      const h = (n: string) => req.headers[n] as string | undefined;
      const check = checkSignature(OUT_SECRET, { timestamp: h(TIMESTAMP_HEADER), signature: h(SIGNATURE_HEADER) }, body, new Date(), 300);
      const event = JSON.parse(body) as OutboxEvent;
      received.push({ id: event.id, key: h('idempotency-key') ?? '', event, signed: check.ok });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/events`;
}, 30_000);

afterAll(async () => {
  await new Promise((r) => receiver.close(r));
  await redis.dispose();
});

// Shanghai 12:00: inside the contact window, whatever time the suite really runs at.
const clock = { now: () => new Date() };
async function instance(): Promise<Forbear> {
  const env = {
    LOG_LEVEL: 'silent',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'forbear-test:lifecycle:',
    OUTBOX_WEBHOOK_URL: receiverUrl,
    OUTBOX_WEBHOOK_SECRET: OUT_SECRET,
    OUTBOX_BACKOFF_MS: '100',
    OUTBOX_ATTEMPTS: '50',
    LEDGER_ASSESS_INTERVAL_MIN: '0',
    TRANSCRIPT_HMAC_KEY: 'lifecycle-test-transcript-key-0123456789',
  };
  const forbear = await createForbear({ config: loadConfig(env), clock, logger: createLogger(process.env['DEBUG_LIFECYCLE'] ? 'debug' : 'silent') });
  forbear.lifecycle.start({});
  return forbear;
}

const ids = () => new Set(received.map((r) => r.id));
const waitFor = (check: () => void) => vi.waitFor(check, { timeout: PATIENCE_MS, interval: 50 });

describe('outbox and payments on Redis with BullMQ', () => {
  it('delivers every event signed, with its idempotency key, at least once through failures, restarts and a Redis crash', async () => {
    let forbear = await instance();
    const a = await conclude(forbear, 'redis-life-1', 'cn-m1-wang', '2026-11-22');
    await waitFor(() => expect(ids()).toContain(`${a.reference}:created`));
    expect(received.every((r) => r.signed && r.key === r.id)).toBe(true);

    // The receiver fails for a while: the event is retried with backoff until it is taken.
    failing = true;
    const first = a.offer.installment!.schedule[0]!;
    await forbear.lifecycle.book.pay({ paymentId: 'r-1', accountId: 'cn-m1-wang', amountMinor: first.amountMinor, currency: 'CNY', paidAt: '2026-12-20T02:00:00Z' });
    await waitFor(() => expect(refused.filter((id) => id === `${a.reference}:0`).length).toBeGreaterThanOrEqual(2));
    expect(ids()).not.toContain(`${a.reference}:0`);
    // The process stops while the events are still undelivered; a new one takes over from Redis.
    await forbear.close();
    failing = false;
    forbear = await instance();
    await waitFor(() => expect(ids()).toEqual(new Set([`${a.reference}:created`, `${a.reference}:0`, `${a.reference}:1`])));

    // Redis is killed: a payment is refused whole (nothing half-written), and applied once when it is back.
    await redis.kill();
    const notice = { paymentId: 'r-2', accountId: 'cn-m1-wang', amountMinor: 100, currency: 'CNY', paidAt: '2026-12-21T02:00:00Z' };
    await expect(forbear.lifecycle.book.pay(notice)).rejects.toThrow();
    await redis.start();
    await waitFor(async () => expect((await forbear.lifecycle.book.pay(notice)).status).toMatch(/applied|duplicate/));
    expect((await forbear.lifecycle.book.pay(notice)).status).toBe('duplicate');
    const ledger = (await forbear.lifecycle.book.get(a.reference))!.ledger;
    expect(ledger.events.filter((e) => e.type === 'payment_applied').map((e) => (e as { paymentId: string }).paymentId)).toEqual(['r-1', 'r-2']);
    await waitFor(() => expect(ids().size).toBe(1 + ledger.events.length));
    // At least once, and the receiver can de-duplicate: every delivery of an id carried the same event.
    for (const r of received) expect(received.filter((x) => x.id === r.id).every((x) => JSON.stringify(x.event) === JSON.stringify(r.event))).toBe(true);
    await forbear.close();
  }, 120_000);

  it('a scheduled contact runs once on BullMQ and lands in the inbox', async () => {
    const noon = new Date('2026-11-20T04:00:00Z'); // in the past: BullMQ delays by the real clock
    const forbear = await instance();
    const fixed = forbear.clock as { now: () => Date };
    fixed.now = () => noon;
    try {
      await conclude(forbear, 'redis-life-2', 'cn-m2-li', '2026-11-22');
      await forbear.lifecycle.scheduler.planCallback('redis-life-2', 'cn-m2-li', noon, '2026年11月20日 15:00');
      await forbear.lifecycle.scheduler.planCallback('redis-life-2', 'cn-m2-li', noon, '2026年11月20日 15:00');
      await waitFor(async () => expect((await forbear.lifecycle.inbox.peek('cn-m2-li')).map((m) => m.messageKey)).toEqual(['lifecycle.callback']));
      // Then no contact job is ready or running any more (a second callback would be one of them).
      const admin = new Redis(redis.url);
      const jobs = 'forbear-test:lifecycle:{jobs}:contact';
      try {
        expect(await admin.exists(`${jobs}:meta`)).toBe(1); // the queue's keys are named as read below
        await waitFor(async () => expect([await admin.llen(`${jobs}:wait`), await admin.llen(`${jobs}:active`), await admin.zcard(`${jobs}:prioritized`)]).toEqual([0, 0, 0]));
      } finally {
        admin.disconnect();
      }
      expect((await forbear.lifecycle.inbox.peek('cn-m2-li')).length).toBe(1);
    } finally {
      fixed.now = () => new Date();
      await forbear.close();
    }
  }, 60_000);
});
