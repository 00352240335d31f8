import type { Arrangement, ArrangementReference } from '../../conversation/arrangement.js';
import type { Offer } from '../../policy/model.js';

export const offer: Offer = {
  offerId: 'installment-12',
  rank: 1,
  authority: 'bot',
  installment: {
    months: 12,
    annualRateBps: 0,
    interestFrozen: true,
    monthlyPaymentMinor: 100_000,
    firstDueDate: '2026-07-01',
    schedule: [{ n: 1, dueDate: '2026-07-01', amountMinor: 100_000, principalMinor: 100_000, interestMinor: 0 }],
  },
  deferral: null,
  interestWaiver: null,
  feeWaiver: null,
  settlement: null,
  balanceMinor: 1_200_000,
  totalRepayableMinor: 1_200_000,
  concessionMinor: 0,
  largestPaymentMinor: 100_000,
  ruleIds: ['installment.bot'],
};

export function arrangementFor(conversationId: string, accountId = 'acct-1') {
  return (reference: ArrangementReference): Arrangement => ({
    reference,
    conversationId,
    accountId,
    channel: 'directline',
    language: 'zh-CN',
    dateStyle: 'iso',
    offer,
    policyId: 'default-cn',
    policyVersion: '2026.2',
    variant: null,
    consentText: '好的，我同意',
    consentAt: '2026-06-01T08:00:00.000Z',
    approvedBy: null,
    createdAt: '2026-06-01T08:00:01.000Z',
  });
}
