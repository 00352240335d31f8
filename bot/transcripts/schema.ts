/**
 * The compliance record of a conversation: every activity and every decision, in order, each
 * record chained to the previous one by hash (see chain.ts). Payloads are redacted before they
 * get here; the schemas deliberately have no field for raw cardholder text, verification answers
 * or health details beyond their category. Payloads are strict: a stored record with a field the
 * schema does not know is rejected, never silently stripped.
 */
import { z } from 'zod';
import {
  AuthorityLevel,
  Decision,
  Handoff,
  HandoffUrgency,
  Minor,
  Offer,
  Proposal,
  Reason,
} from '../../policy/index.js';
import { LedgerEvent } from '../../policy/index.js';
import { Entities, Intent, UnderstandingSignal } from '../../conversation/understanding.js';
import { Language } from '../../conversation/language.js';
import { Variant } from '../../conversation/variant.js';
import { FeedbackEnding } from '../../conversation/audit.js';

export const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase sha256 hex digest');
export const GENESIS_HASH = '0'.repeat(64);

/** Instants are stored as `Date#toISOString()` (UTC, millisecond precision) so they sort as strings. */
export const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

export const Actor = z.enum(['cardholder', 'bot', 'agent', 'system']);
export type Actor = z.infer<typeof Actor>;

/** What a channel activity looked like, minus anything personal: text is already redacted. */
export const ActivityPayload = z.strictObject({
  /** Bot Framework activity type: "message", "event", "conversationUpdate"… */
  type: z.string().min(1),
  text: z.string().nullable(),
  /** The catalog key a bot message was spoken from; null for free text (cardholder, agent). */
  messageKey: z.string().nullable().default(null),
  language: Language.nullable().default(null),
  attachments: z.array(z.object({ contentType: z.string(), name: z.string().nullable() })).default([]),
  suggestedActions: z.array(z.string()).default([]),
  /** Sequence numbers of the decision records this message expresses (the console's annotation). */
  basedOn: z.array(z.number().int().min(1)).default([]),
  /** Bot Framework channel id ("directline", "wechat", "msteams"…), for outcomes by channel. */
  channel: z.string().nullable().default(null),
});
export type ActivityPayload = z.infer<typeof ActivityPayload>;

/** Named amounts (`monthlyPaymentMinor` → 150000) a record vouches for; the amount-mismatch flag reads these. */
export const Amounts = z.record(z.string(), Minor);

export const UnderstandingDecision = z.strictObject({
  type: z.literal('understanding'),
  engine: z.enum(['rules', 'classifier', 'llm']),
  promptVersion: z.string().nullable(),
  intent: Intent,
  entities: Entities,
  signals: z.array(UnderstandingSignal),
  confidence: z.number().min(0).max(1),
  language: Language,
  /** The cardholder message as understood, redacted (health disclosures reduced to their category). */
  redactedText: z.string(),
});

export const PolicyEvaluationDecision = z.strictObject({
  type: z.literal('policy_evaluation'),
  policyId: z.string(),
  policyVersion: z.string(),
  authority: AuthorityLevel,
  outcome: Decision.shape.outcome,
  ruleIds: z.array(z.string()),
  reasons: z.array(Reason),
  /** The policy's envelope for this account, flattened for display (max months, min payment…). */
  envelope: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  proposal: Proposal.nullable(),
  offerIds: z.array(z.string()),
  amounts: Amounts,
});

export const OfferShownDecision = z.strictObject({
  type: z.literal('offer_shown'),
  offerId: z.string(),
  policyId: z.string(),
  policyVersion: z.string(),
  ruleIds: z.array(z.string()).min(1),
  currency: z.string().length(3),
  amounts: Amounts,
  messageKey: z.string(),
  /** The sentence shown, as rendered (already free of personal data: amounts come from policy). */
  text: z.string(),
  offer: Offer.nullable().default(null),
});

export const ConsentDecision = z.strictObject({
  type: z.literal('consent'),
  offerId: z.string(),
  redactedText: z.string(),
});

/** "challenger default-cn@2026.3" (see variantLabel); null where no account, hence no variant, is known. */
const VariantStamp = z.string().nullable().default(null);

export const ArrangementCreatedDecision = z.strictObject({
  type: z.literal('arrangement_created'),
  reference: z.string(),
  offerId: z.string(),
  variant: VariantStamp,
});

export const HandoffDecision = z.strictObject({
  type: z.literal('handoff'),
  reason: Handoff.shape.reason,
  urgency: HandoffUrgency,
  authorityNeeded: AuthorityLevel.nullable(),
  ruleIds: z.array(z.string()),
  variant: VariantStamp,
});

export const AgentActionDecision = z.strictObject({
  type: z.literal('agent_action'),
  agentId: z.string(),
  role: z.enum(['agent', 'supervisor']),
  /** e.g. "claim", "approve_offer", "grant_authority", "hand_back", "close". */
  action: z.string(),
  authority: AuthorityLevel,
  offerId: z.string().nullable().default(null),
  note: z.string().nullable().default(null),
});

/** The outcome only: the answers themselves are never recorded. */
export const VerificationDecision = z.strictObject({
  type: z.literal('verification'),
  result: z.enum(['success', 'failure', 'locked_out']),
  attempt: z.number().int().min(1),
  /** Set on success: which account the conversation is now about. */
  accountId: z.string().nullable().default(null),
});

/** Account facts the bot may quote once verified (balance, minimum payment), as read from the system of record. */
export const AccountFactsDecision = z.strictObject({
  type: z.literal('account_facts'),
  accountId: z.string(),
  currency: z.string().length(3),
  amounts: Amounts,
});

export const ContactAttemptDecision = z.strictObject({
  type: z.literal('contact_attempt'),
  purpose: z.enum(['reminder', 'follow_up', 'callback', 'missed_nudge', 'promise_check', 'breach_notice']),
  channel: z.string(),
  timezone: z.string(),
  allowed: z.boolean(),
  /** The gate's reason when it refused. */
  reason: z.string().nullable().default(null),
});

/** A promise to pay the cardholder made; its amount is one the bot may repeat back. */
export const PromiseToPayDecision = z.strictObject({
  type: z.literal('promise_to_pay'),
  date: z.iso.date().nullable(),
  amountMinor: Minor.nullable(),
});

export const StopContactDecision = z.strictObject({
  type: z.literal('stop_contact'),
  source: z.enum(['cardholder', 'agent']),
  redactedText: z.string().nullable().default(null),
});

/** The champion/challenger variant the account drew, recorded once a conversation knows its account. */
export const VariantDecision = z.strictObject({
  type: z.literal('variant'),
  accountId: z.string(),
  ...Variant.shape,
});

export const FeedbackAskedDecision = z.strictObject({
  type: z.literal('feedback_asked'),
  after: FeedbackEnding,
  variant: VariantStamp,
});

/** One tap of the cardholder's answer: satisfaction 1–5, or whether they were treated fairly. */
export const FeedbackDecision = z.strictObject({
  type: z.literal('feedback'),
  satisfaction: z.number().int().min(1).max(5).nullable(),
  fair: z.boolean().nullable(),
  variant: VariantStamp,
});

/**
 * A change to the arrangement's ledger (a payment matched, an instalment late or missed, a catch-up,
 * cancellation, completion), recorded in the chain of the conversation that made the arrangement.
 * `amounts` names the figures a later reminder may quote, so the flags can vouch for them.
 */
export const LedgerDecision = z.strictObject({
  type: z.literal('ledger'),
  reference: z.string(),
  event: LedgerEvent,
  amounts: Amounts,
});

export const FlagKind = z.enum(['amount_mismatch', 'forbidden_phrase', 'contact_outside_hours', 'disclosure_before_verification']);
export type FlagKind = z.infer<typeof FlagKind>;

export const FlagDecision = z.strictObject({
  type: z.literal('flag'),
  flag: FlagKind,
  /** The record that raised it. */
  recordSeq: z.number().int().min(1),
  detail: z.string(),
});

export const DecisionPayload = z.discriminatedUnion('type', [
  UnderstandingDecision,
  PolicyEvaluationDecision,
  OfferShownDecision,
  ConsentDecision,
  ArrangementCreatedDecision,
  HandoffDecision,
  AgentActionDecision,
  VerificationDecision,
  AccountFactsDecision,
  ContactAttemptDecision,
  PromiseToPayDecision,
  StopContactDecision,
  FlagDecision,
  VariantDecision,
  FeedbackAskedDecision,
  FeedbackDecision,
  LedgerDecision,
]);
export type DecisionPayload = z.infer<typeof DecisionPayload>;
export type DecisionType = DecisionPayload['type'];

const ActivityEntry = z.strictObject({ kind: z.literal('activity'), actor: Actor, at: Instant, payload: ActivityPayload });
const DecisionEntry = z.strictObject({ kind: z.literal('decision'), actor: Actor, at: Instant, payload: DecisionPayload });

/** What a caller appends; the store assigns `seq` and the hashes. */
export const TranscriptEntry = z.discriminatedUnion('kind', [ActivityEntry, DecisionEntry]);
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;
export type TranscriptEntryInput = z.input<typeof TranscriptEntry>;

const chained = { conversationId: z.string().min(1), seq: z.number().int().min(1), prevHash: Hash, hash: Hash };

export const TranscriptRecord = z.discriminatedUnion('kind', [
  ActivityEntry.extend(chained),
  DecisionEntry.extend(chained),
]);
export type TranscriptRecord = z.infer<typeof TranscriptRecord>;

/** The anchor kept apart from the log: without it, cutting off the tail would go unnoticed. */
export const ChainHead = z.object({ seq: z.number().int().min(0), hash: Hash });
export type ChainHead = z.infer<typeof ChainHead>;

export const Outcome = z.enum(['arrangement', 'handoff']);

/** Per-conversation search metadata, kept up to date on every append. */
export const ConversationSummary = z.object({
  conversationId: z.string(),
  accountId: z.string().nullable(),
  language: Language.nullable(),
  startedAt: z.string(),
  lastAt: z.string(),
  /** null: neither an arrangement nor a handoff (abandoned, or still going). */
  outcome: Outcome.nullable(),
  handoffReason: z.string().nullable(),
  /** "policyId@version" of every policy that evaluated this conversation. */
  policyVersions: z.array(z.string()),
  flags: z.array(FlagKind),
  records: z.number().int().min(0),
  /** The last agent or supervisor who acted on the conversation, if any. */
  agentId: z.string().nullable().default(null),
  /** Every agent or supervisor who acted on the conversation. */
  agents: z.array(z.string()).default([]),
  /** False for a conversation the cardholder never wrote in (a page opened and left): not "abandoned". */
  engaged: z.boolean().default(true),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

/** Dates are inclusive calendar days in UTC over `startedAt`. */
export const ConversationFilter = z
  .object({
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    accountId: z.string().optional(),
    outcome: z.enum(['arrangement', 'handoff', 'abandoned']).optional(),
    handoffReason: z.string().optional(),
    language: Language.optional(),
    policyVersion: z.string().optional(),
    flag: FlagKind.optional(),
    /** Conversations whose last record is before this instant (retention). */
    lastBefore: Instant.optional(),
    /** Any agent or supervisor who acted on it. */
    agentId: z.string().optional(),
    /** Only conversations the cardholder wrote in (true), or only those they never did (false). */
    engaged: z.boolean().optional(),
    limit: z.number().int().min(1).optional(),
  })
  .strict();
export type ConversationFilter = z.infer<typeof ConversationFilter>;
export type ConversationFilterInput = z.input<typeof ConversationFilter>;

/** One line of the retention log: what was removed and the head it had, so the removal itself is auditable. */
export const RetentionEntry = z.object({
  conversationId: z.string(),
  removedAt: Instant,
  reason: z.string(),
  records: z.number().int().min(0),
  head: ChainHead.nullable(),
  startedAt: z.string().nullable(),
  lastAt: z.string().nullable(),
});
export type RetentionEntry = z.infer<typeof RetentionEntry>;

