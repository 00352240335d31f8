/** Payment behaviours played through the real ledger and breach rules. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BREACH, schedule, type Offer } from '../../policy/index.js';
import { playPlan } from '../../simulate/payments.js';

const lines = schedule({ principalMinor: 60_000, months: 6, annualRateBps: 0, startDate: '2026-03-02' });
const offer: Offer = {
  offerId: 'installment-6', rank: 1, authority: 'bot',
  installment: { months: 6, annualRateBps: 0, interestFrozen: false, monthlyPaymentMinor: 10_000, firstDueDate: lines[0]!.dueDate, schedule: lines },
  deferral: null, interestWaiver: null, feeWaiver: null, settlement: null,
  balanceMinor: 60_000, totalRepayableMinor: 60_000, concessionMinor: 0, largestPaymentMinor: 10_000, ruleIds: ['t'],
};
const play = (kind: Parameters<typeof playPlan>[3]['kind'], breaksAfter = 0) => playPlan(offer, '2026-03-02', DEFAULT_BREACH, { kind, breaksAfter });

describe('payment behaviours', () => {
  it('keeps: completed, nothing missed', () => {
    expect(play('keeps')).toMatchObject({ paidMinor: 60_000, everMissed: false, ledger: { status: 'completed' } });
  });
  it('pays late: some instalments missed and cured, completed', () => {
    expect(play('pays_late')).toMatchObject({ paidMinor: 60_000, everMissed: true, ledger: { status: 'completed' } });
  });
  it('breaks after 2: two paid, then cancelled after the catch-up window', () => {
    const p = play('breaks_after', 2);
    expect(p.paidMinor).toBe(20_000);
    expect(p.ledger.status).toBe('cancelled');
    expect(p.ledger.events.map((e) => e.type)).toContain('catch_up_granted');
  });
  it('never pays: nothing paid, cancelled', () => {
    expect(play('never_pays')).toMatchObject({ paidMinor: 0, ledger: { status: 'cancelled' } });
  });
});
