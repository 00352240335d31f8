/**
 * Runs every conversation script in `test/dialogs/scripts/` against the whole bot, and checks the
 * invariant that matters most after each one: no agreement ever falls outside the bot's envelope.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain } from '../../policy/index.js';
import { Offer } from '../../policy/model.js';
import { describeActivities, loadScript, matches } from './script.js';
import { harness } from './harness.js';
import type { Activity } from 'botbuilder';

const dir = new URL('./scripts/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('conversation scripts', () => {
  it('there are scripts to run', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    const script = loadScript(new URL(file, dir).pathname);
    it(`${file}: ${script.name}`, async () => {
      const h = await harness({ now: script.now });
      const conversation = file.replace(/\W/g, '-');
      const all: Partial<Activity>[] = await h.open(conversation, { locale: script.locale, account: script.account });
      for (const [i, turn] of script.turns.entries()) {
        const replies = await h.say(conversation, turn.say);
        all.push(...replies);
        const where = `turn ${i + 1} ("${turn.say}") got:\n${describeActivities(replies)}`;
        for (const e of turn.expect) expect(matches(replies, e), `expected ${JSON.stringify(e)} at ${where}`).toBe(true);
        for (const e of turn.forbid) expect(matches(replies, e), `forbidden ${JSON.stringify(e)} at ${where}`).toBe(false);
      }
      await withinBotEnvelope(h, all);
    });
  }
});

async function withinBotEnvelope(h: Awaited<ReturnType<typeof harness>>, activities: Partial<Activity>[]) {
  for (const a of activities.filter((x) => x.type === 'event' && x.name === 'agreement')) {
    const arrangement = a.value as { offer: unknown; accountId: string; policyId: string };
    const offer = Offer.parse(arrangement.offer);
    const record = await h.forbear.accounts.get(arrangement.accountId);
    const policy = h.forbear.policy(arrangement.policyId);
    const limits = explain(policy, record!.account, {
      asOf: '2026-11-22',
      hardshipReason: 'other',
      monthlyIncomeMinor: null,
      essentialExpensesMinor: null,
      expectedDurationMonths: null,
      signals: [],
    }).envelope.limits.bot;
    expect(offer.authority).toBe('bot');
    if (offer.installment) {
      expect(offer.installment.months).toBeLessThanOrEqual(limits.installment.maxMonths);
      expect(offer.installment.monthlyPaymentMinor).toBeGreaterThanOrEqual(limits.installment.minMonthlyPaymentMinor);
    }
    if (offer.feeWaiver) expect(offer.feeWaiver.bps).toBeLessThanOrEqual(limits.feeWaiverMaxBps);
    if (offer.interestWaiver) expect(offer.interestWaiver.bps).toBeLessThanOrEqual(limits.interestWaiverMaxBps);
    if (offer.settlement) expect(offer.settlement.discountBps).toBeLessThanOrEqual(limits.settlement.maxDiscountBps);
    if (offer.deferral) expect(offer.deferral.days).toBeLessThanOrEqual(limits.deferralMaxDays);
  }
}
