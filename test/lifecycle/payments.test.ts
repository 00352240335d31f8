/**
 * `POST /api/payments` on the whole product (embedded stores): signed, fresh, once, well-formed —
 * or refused with nothing changed; matched exactly to instalments; every change in the
 * arrangement's transcript chain and the outbox; unknown payments kept for people.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../bot/lifecycle/jobs.js';
import type { OutboxEvent } from '../../bot/lifecycle/outbox.js';
import { verifyConversation } from '../../bot/transcripts/store.js';
import { startForbear, type RealServer } from '../support/server.js';
import { conclude, SECRET, signed } from './fixtures.js';

let now = new Date('2026-11-22T02:00:00Z');
const clock = { now: () => now };
let server: RealServer;
const outboxLog = path.join(mkdtempSync(path.join(tmpdir(), 'forbear-outbox-')), 'outbox.jsonl');

beforeAll(async () => {
  server = await startForbear({ PAYMENTS_WEBHOOK_SECRET: SECRET, OUTBOX_LOG: outboxLog }, { clock });
});
afterAll(() => server.running.close());

const post = (body: string, headers: Record<string, string>) => fetch(`${server.base}/api/payments`, { method: 'POST', headers, body });

async function snapshot(reference: string, conversationId: string) {
  const { forbear } = server;
  return JSON.stringify([await forbear.lifecycle.book.get(reference), await forbear.transcripts.head(conversationId), await forbear.lifecycle.book.unmatchedPayments()]);
}

describe('the payment webhook', () => {
  it('matches a signed payment to the first instalment, records it in the chain and the outbox, and refuses every bad request with nothing changed', async () => {
    const a = await conclude(server.forbear, 'pay-conv-1', 'cn-m1-wang', '2026-11-22');
    const first = a.offer.installment!.schedule[0]!;
    const notice = { paymentId: 'bank-0001', reference: a.reference, accountId: 'cn-m1-wang', amountMinor: first.amountMinor, currency: 'CNY', paidAt: '2026-12-20T03:00:00Z' };
    const before = await snapshot(a.reference, 'pay-conv-1');

    const unsigned = await post(JSON.stringify(notice), { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    const forged = signed(notice, now, 'another-secret-another-secret-0000');
    expect((await post(forged.body, forged.headers)).status).toBe(401);
    const stale = signed(notice, new Date(now.getTime() - 10 * 60_000));
    expect((await post(stale.body, stale.headers)).status).toBe(401);
    const tampered = signed(notice, now);
    expect((await post(tampered.body.replace(String(first.amountMinor), '1'), tampered.headers)).status).toBe(401);
    const missing = signed({ ...notice, amountMinor: undefined }, now);
    const bad = await post(missing.body, missing.headers);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('amountMinor');
    const extra = signed({ ...notice, cardNumber: '6222020200112233' }, now);
    expect((await post(extra.body, extra.headers)).status).toBe(400);
    const floaty = signed({ ...notice, amountMinor: 12.5 }, now);
    expect((await post(floaty.body, floaty.headers)).status).toBe(400);
    const notJson = signed({}, now);
    expect((await post('{"paymentId":', { ...notJson.headers, ...signed('{"paymentId":', now).headers })).status).toBe(400);
    expect(await snapshot(a.reference, 'pay-conv-1')).toBe(before);

    const good = signed(notice, now);
    const res = await post(good.body, good.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'applied', reference: a.reference, ledgerStatus: 'active' });
    const ledger = (await server.forbear.lifecycle.book.get(a.reference))!.ledger;
    expect(ledger.instalments[0]).toMatchObject({ paidMinor: first.amountMinor, status: 'paid', paidOn: '2026-12-20' });
    expect(ledger.instalments[1]).toMatchObject({ paidMinor: 0, status: 'due' });

    // The same signed request again is a replay; the same payment newly signed is answered, not applied twice.
    expect((await post(good.body, good.headers)).status).toBe(401);
    const again = signed(notice, new Date(now.getTime() + 1000));
    const dup = await post(again.body, again.headers);
    expect(dup.status).toBe(200);
    expect(await dup.json()).toMatchObject({ status: 'duplicate', outcome: 'applied' });
    const changed = signed({ ...notice, amountMinor: 1 }, new Date(now.getTime() + 2000));
    expect((await post(changed.body, changed.headers)).status).toBe(409);
    expect((await server.forbear.lifecycle.book.get(a.reference))!.ledger.events.filter((e) => e.type === 'payment_applied')).toHaveLength(1);

    const records = await server.forbear.transcripts.read('pay-conv-1');
    const ledgerRecords = records.filter((r) => r.kind === 'decision' && r.payload.type === 'ledger');
    expect(ledgerRecords.map((r) => (r.payload as { event: { type: string } }).event.type)).toEqual(['payment_applied', 'instalment_status']);
    expect((await verifyConversation(server.forbear.transcripts, 'pay-conv-1')).ok).toBe(true);

    const queue = server.forbear.lifecycle.queues.outbox as MemoryJobQueue<OutboxEvent>;
    await queue.runDue();
    const logged = readFileSync(outboxLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OutboxEvent);
    const mine = logged.filter((e) => e.reference === a.reference);
    expect(mine.map((e) => [e.id, e.type])).toEqual([
      [`${a.reference}:created`, 'arrangement.created'],
      [`${a.reference}:0`, 'arrangement.changed'],
      [`${a.reference}:1`, 'arrangement.changed'],
    ]);
  });

  it('records a payment it cannot match for people to look at', async () => {
    const notice = { paymentId: 'bank-0099', accountId: 'nobody-here', amountMinor: 50_000, currency: 'CNY', paidAt: '2026-12-20T03:00:00Z' };
    const req = signed(notice, now);
    const res = await post(req.body, req.headers);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'unmatched', reason: 'no_arrangement' });
    const a = await conclude(server.forbear, 'pay-conv-2', 'cn-m2-li', '2026-11-22');
    const wrong = signed({ ...notice, paymentId: 'bank-0100', reference: a.reference }, now);
    expect(await (await post(wrong.body, wrong.headers)).json()).toEqual({ status: 'unmatched', reason: 'account_mismatch' });
    const unmatched = await server.forbear.lifecycle.book.unmatchedPayments();
    expect(unmatched.map((p) => [p.notice.paymentId, p.reason])).toEqual([
      ['bank-0099', 'no_arrangement'],
      ['bank-0100', 'account_mismatch'],
    ]);
    expect((await server.forbear.lifecycle.book.get(a.reference))!.ledger.events).toEqual([]);
  });

  it('without the account reference, pays the account’s active arrangement', async () => {
    const a = await conclude(server.forbear, 'pay-conv-3', 'tw-m3-chen', '2026-11-22');
    const req = signed({ paymentId: 'bank-0200', accountId: 'tw-m3-chen', amountMinor: 100, currency: 'CNY', paidAt: '2026-11-25T03:00:00Z' }, now);
    expect(await (await post(req.body, req.headers)).json()).toEqual({ status: 'applied', reference: a.reference, ledgerStatus: 'active' });
    expect((await server.forbear.lifecycle.book.get(a.reference))!.ledger.instalments[0]).toMatchObject({ paidMinor: 100, status: 'partly_paid' });
  });
});

describe('with no secret configured', () => {
  it('answers 503 and applies nothing', async () => {
    const plain = await startForbear();
    try {
      const req = signed({ paymentId: 'x', accountId: 'cn-m1-wang', amountMinor: 1, currency: 'CNY', paidAt: '2026-12-20T03:00:00Z' }, new Date('2026-11-22T02:00:00Z'));
      const res = await fetch(`${plain.base}/api/payments`, { method: 'POST', headers: req.headers, body: req.body });
      expect(res.status).toBe(503);
    } finally {
      await plain.running.close();
    }
  });
});
