/** Arrangements made the way the bot makes them (the policy's first offer for a demo account), and signed payment requests. */
import { demoAccount } from '../../policy/demo-accounts.js';
import { explain, type Offer } from '../../policy/index.js';
import { loadPolicy } from '../../policy/load.js';
import type { Forbear } from '../../bot/app.js';
import type { Arrangement } from '../../conversation/arrangement.js';
import type { DateStyle } from '../../conversation/messages/index.js';
import { signedHeaders } from '../../bot/lifecycle/signature.js';

export const SECRET = 'test-payments-secret-0123456789abcdef';

export function firstOffer(accountId: string, asOf: string): Offer {
  const account = demoAccount(accountId)!;
  const policy = loadPolicy(account.policyId);
  const x = explain(policy, account, {
    asOf,
    hardshipReason: 'job_loss',
    monthlyIncomeMinor: 800_000,
    essentialExpensesMinor: 300_000,
    expectedDurationMonths: null,
    signals: [],
  });
  return x.offers[0]!;
}

/** Concludes an arrangement through the product's repository (so its ledger opens as in a real conversation). */
export async function conclude(
  forbear: Forbear,
  conversationId: string,
  accountId: string,
  asOf: string,
  channel = 'directline',
  dateStyle: DateStyle = 'iso',
): Promise<Arrangement> {
  const account = demoAccount(accountId)!;
  const policy = loadPolicy(account.policyId);
  const now = forbear.clock.now().toISOString();
  const { arrangement } = await forbear.stores.arrangements.createOnce(conversationId, (reference) => ({
    reference,
    conversationId,
    accountId,
    channel,
    language: account.language,
    dateStyle,
    offer: firstOffer(accountId, asOf),
    policyId: policy.id,
    policyVersion: policy.version,
    consentText: '同意',
    consentAt: now,
    approvedBy: null,
    variant: null,
    createdAt: now,
  }));
  return arrangement;
}

export function signed(body: unknown, now: Date, secret = SECRET): { headers: Record<string, string>; body: string } {
  const text = JSON.stringify(body);
  return { headers: { 'content-type': 'application/json', ...signedHeaders(secret, text, now) }, body: text };
}
