/**
 * The Auditor port: what the conversation records about itself as it goes — every understanding,
 * verification result, policy evaluation, offer shown, agreement, handoff, promise and feedback —
 * so each bot message can be traced to the decisions behind it. The shell writes these into the
 * transcript.
 */
import type { TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { AuthorityLevel, Decision, Envelope, Handoff, Offer, Proposal } from '../policy/index.js';
import type { UnderstandingResult } from './understanding.js';
import type { CaseFile } from './case.js';
import type { Variant } from './variant.js';

/** When the one optional feedback question was put, and why the conversation was ending. */
export const FeedbackEnding = z.enum(['agreement', 'handoff_closed', 'left']);
export type FeedbackEnding = z.infer<typeof FeedbackEnding>;

export interface Auditor {
  understanding(context: TurnContext, result: UnderstandingResult, text: string): Promise<void>;
  verification(context: TurnContext, result: 'success' | 'failure' | 'locked_out', attempt: number, accountId: string | null): Promise<void>;
  evaluation(context: TurnContext, proposal: Proposal | null, decision: Decision, authority: AuthorityLevel, envelope: Envelope): Promise<void>;
  offerShown(context: TurnContext, offer: Offer, policy: { id: string; version: string }, currency: string, messageKey: string, text: string): Promise<void>;
  /** `variant`: the stamp of the account's champion/challenger variant (variantLabel), null when unknown. */
  agreement(context: TurnContext, offer: Offer, consentText: string, reference: string, variant: string | null): Promise<void>;
  handoff(context: TurnContext, handoff: Handoff, variant: string | null): Promise<void>;
  /** The variant the verified account drew; once per conversation and account. */
  variant(context: TurnContext, accountId: string, variant: Variant): Promise<void>;
  feedbackAsked(context: TurnContext, after: FeedbackEnding, variant: string | null): Promise<void>;
  feedback(context: TurnContext, answer: { satisfaction: number | null; fair: boolean | null }, variant: string | null): Promise<void>;
  promise(context: TurnContext, promise: NonNullable<CaseFile['promise']>): Promise<void>;
  stopContact(context: TurnContext, text: string): Promise<void>;
  /** Account figures the bot is about to quote (balance, minimum, interest, fees), as read from the system of record. */
  accountFacts(context: TurnContext, accountId: string, currency: string, amounts: Record<string, number>): Promise<void>;
}
