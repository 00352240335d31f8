/**
 * The port to what happens after the agreement, as the conversation sees it: the cardholder's
 * current arrangement and its ledger in plain figures, messages waiting for them (Web Chat cannot
 * reach someone who is not on the page), and promises to pay to be checked on their date.
 */
import type { TurnContext } from 'botbuilder';
import type { Language } from './language.js';
import type { DateStyle } from './messages/index.js';

export interface ArrangementStatus {
  reference: string;
  currency: string;
  paidMinor: number;
  remainingMinor: number;
  creditMinor: number;
  /** The next instalment not yet fully paid; null when none is left. */
  next: { n: number; amountMinor: number; dueDate: string } | null;
  /** Payments received for this account since `since`, in minor units (for "我已经还了"). */
  receivedSinceMinor(since: string): number;
}

export interface LifecyclePort {
  /** The account's active arrangement, if any. */
  activeArrangement(accountId: string): Promise<ArrangementStatus | null>;
  /** Messages left for the cardholder while they were away, removed as they are handed over. */
  takeNotices(accountId: string): Promise<string[]>;
  /** The link to the printable agreement, carrying the cardholder's token (only they and staff can open it). */
  documentLink(reference: string): string;
  /** Schedules the check of a promise to pay on its date, told in the conversation's language and date order. */
  promised(
    context: TurnContext,
    accountId: string,
    policyId: string,
    promise: { date: string | null; amountMinor: number | null },
    writing: { language: Language; dateStyle: DateStyle },
  ): Promise<void>;
}
