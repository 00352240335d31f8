/** The conversation's view of the lifecycle (conversation/lifecycle.ts), served by the ledger book, the inbox and the scheduler. */
import type { TurnContext } from 'botbuilder';
import { nextDue, owedOf, paidOf } from '../../policy/index.js';
import type { ArrangementStatus, LifecyclePort } from '../../conversation/lifecycle.js';
import type { Lifecycle } from './index.js';

export function lifecyclePort(lifecycle: Lifecycle): LifecyclePort {
  const { book, inbox, scheduler } = lifecycle;
  return {
    async activeArrangement(accountId) {
      const record = await book.activeFor(accountId);
      if (!record) return null;
      const payments = await book.paymentsFor(accountId);
      const next = nextDue(record.ledger);
      const status: ArrangementStatus = {
        reference: record.ledger.reference,
        currency: record.currency,
        paidMinor: paidOf(record.ledger),
        remainingMinor: owedOf(record.ledger) - paidOf(record.ledger),
        creditMinor: record.ledger.creditMinor,
        next: next ? { n: next.n, amountMinor: next.amountMinor - next.paidMinor, dueDate: next.dueDate } : null,
        receivedSinceMinor: (since) => payments.filter((p) => p.notice.paidAt >= since || p.receivedAt >= since).reduce((s, p) => s + p.notice.amountMinor, 0),
      };
      return status;
    },
    documentLink: (reference) => lifecycle.documentLink(reference),
    async takeNotices(accountId) {
      return (await inbox.take(accountId)).map((m) => m.text);
    },
    async promised(context: TurnContext, accountId, policyId, promise, writing) {
      if (promise.date === null) return;
      await scheduler.planPromiseCheck(context.activity.conversation.id, accountId, policyId, { date: promise.date, amountMinor: promise.amountMinor, ...writing });
    },
  };
}
