/**
 * The decision audit: every step that could matter to a cardholder or a regulator is written to the
 * conversation's hash-chained transcript with its inputs and outputs, and every message the bot
 * sends is linked (`basedOn`) to the decisions it expresses — so compliance staff can click an
 * offer and see the policy rule and version that allowed it.
 */
import { DeliveryModes, type Activity, type Middleware, type TurnContext } from 'botbuilder-core';
import type { AuthorityLevel, Decision, Envelope, Handoff, Offer, Proposal } from '../policy/index.js';
import type { UnderstandingResult } from '../conversation/understanding.js';
import type { CaseFile } from '../conversation/case.js';
import type { Clock } from '../conversation/clock.js';
import { keepHealthCategory, redact } from './privacy/redact.js';
import type { InboundPrivacy } from './privacy/inbound.js';
import type { ChainHead, DecisionPayload, TranscriptEntry, TranscriptRecord } from './transcripts/schema.js';
import type { FeedbackEnding, Auditor } from '../conversation/audit.js';
import type { Variant } from '../conversation/variant.js';
import type { TranscriptStore } from './transcripts/store.js';
import type { KeyValueStore } from './storage/keyValue.js';
import { FRESH_MEMORY, flagsAfter, loadForbiddenPhrases, type FlagContext, type FlagMemory } from './transcripts/flags.js';
import { ContactRules } from './contact/gate.js';

/**
 * The records of one turn, held until the turn ends and then stored as one atomic batch: a crash
 * part-way through a turn leaves none of its records, never half of them. Decisions wait here to
 * be cited (`basedOn`) by the next bot message; positions become seqs when the batch is sealed.
 */
export class TurnRecords {
  private static readonly KEY = Symbol('forbear.audit.turn');
  private entries: { entry: TranscriptEntry; basedOn: number[] }[] = [];
  /** Decisions not yet cited by a bot message, by position in `entries`. */
  private uncited: number[] = [];
  /** The conversation has no transcript and the cardholder has not written: the records were held aside. */
  unstarted = false;

  static of(context: TurnContext): TurnRecords | undefined {
    return context.turnState.get(TurnRecords.KEY) as TurnRecords | undefined;
  }

  static open(context: TurnContext, store: (records: TurnRecords) => Promise<void>): TurnRecords {
    const records = new TurnRecords(store);
    context.turnState.set(TurnRecords.KEY, records);
    return records;
  }

  /**
   * Stores what the turn has recorded so far. The bot calls it before saving conversation state,
   * so a turn whose records could not be stored leaves no state behind either.
   */
  static async store(context: TurnContext): Promise<void> {
    const records = TurnRecords.of(context);
    if (records) await records.storeHeld(records);
  }

  private constructor(private readonly storeHeld: (records: TurnRecords) => Promise<void>) {}

  decision(entry: TranscriptEntry): void {
    this.uncited.push(this.entries.push({ entry, basedOn: [] }) - 1);
  }

  /** A bot message cites the decisions recorded since the previous one; events only carry structure. */
  activity(entry: TranscriptEntry & { kind: 'activity' }, cites: boolean): void {
    this.entries.push({ entry, basedOn: cites ? this.uncited.splice(0) : [] });
  }

  /** Takes what is held so far; what the turn records after this goes into the next batch. */
  take(): { entries: TranscriptEntry[]; sealAfter(head: ChainHead): TranscriptEntry[] } {
    const held = this.entries;
    this.entries = [];
    this.uncited = [];
    return {
      entries: held.map((h) => h.entry),
      sealAfter: (head) =>
        held.map(({ entry, basedOn }) =>
          entry.kind === 'activity' && basedOn.length > 0 ? { ...entry, payload: { ...entry.payload, basedOn: basedOn.map((i) => head.seq + 1 + i) } } : entry,
        ),
    };
  }
}

/** Named amounts of an offer, so the compliance flags can check every amount a message states. */
export function offerAmounts(offer: Offer): Record<string, number> {
  const amounts: Record<string, number> = {
    balanceMinor: offer.balanceMinor,
    totalRepayableMinor: offer.totalRepayableMinor,
    concessionMinor: offer.concessionMinor,
    largestPaymentMinor: offer.largestPaymentMinor,
  };
  if (offer.installment) {
    amounts['monthlyPaymentMinor'] = offer.installment.monthlyPaymentMinor;
    offer.installment.schedule.forEach((l) => (amounts[`schedule.${l.n}.amountMinor`] = l.amountMinor));
    amounts['planInterestMinor'] = offer.installment.schedule.reduce((s, l) => s + l.interestMinor, 0);
  }
  if (offer.settlement) amounts['settlementAmountMinor'] = offer.settlement.amountMinor;
  if (offer.feeWaiver) amounts['feeWaiverMinor'] = offer.feeWaiver.amountMinor;
  if (offer.interestWaiver) amounts['interestWaiverMinor'] = offer.interestWaiver.amountMinor;
  return amounts;
}

/** The limits in force at one authority level, flat, for the compliance console. */
export function envelopeSummary(envelope: Envelope, level: AuthorityLevel): Record<string, number | string | boolean | null> {
  const l = envelope.limits[level];
  return {
    bucket: envelope.bucket.id,
    maxMonths: l.installment.maxMonths,
    minMonthlyPaymentMinor: l.installment.minMonthlyPaymentMinor,
    annualRateBps: l.installment.annualRateBps,
    interestFrozen: l.installment.interestFrozen,
    interestWaiverMaxBps: l.interestWaiverMaxBps,
    feeWaiverMaxBps: l.feeWaiverMaxBps,
    settlementMaxDiscountBps: l.settlement.maxDiscountBps,
    deferralMaxDays: l.deferralMaxDays,
    maxMonthlyPaymentMinor: envelope.affordability.maxMonthlyPaymentMinor,
  };
}

export class TranscriptAuditor implements Auditor {
  constructor(
    private readonly store: TranscriptStore,
    private readonly clock: Clock,
    private readonly inbound: InboundPrivacy,
  ) {}

  /** The turn's own message is stored as the privacy boundary stored it; other text is redacted. */
  private async stored(context: TurnContext, text: string): Promise<string> {
    if (context.activity.type === 'message' && text.trim() === (context.activity.text ?? '').trim()) return (await this.inbound.of(context)).stored;
    return redact(text).text;
  }

  /** Held with the turn's other records when the transcript middleware runs the turn; stored at once otherwise. */
  private async decide(context: TurnContext, payload: DecisionPayload, actor: 'bot' | 'system' = 'bot'): Promise<void> {
    const entry: TranscriptEntry = { kind: 'decision', actor, at: this.clock.now().toISOString(), payload };
    const turn = TurnRecords.of(context);
    if (turn) turn.decision(entry);
    else await this.store.append(context.activity.conversation.id, entry);
  }

  async understanding(context: TurnContext, r: UnderstandingResult, text: string) {
    const inbound = await this.inbound.of(context);
    const stored = await this.stored(context, text);
    return this.decide(context, {
      type: 'understanding',
      engine: r.engine,
      promptVersion: r.promptVersion,
      intent: r.intent,
      // A verification answer or a masked number read as an amount or a date would be the value again.
      entities: inbound.sensitive ? blankEntities(r.entities) : r.entities,
      signals: r.signals,
      confidence: r.confidence,
      language: r.language,
      redactedText: keepHealthCategory(stored, r.signals).text,
    });
  }

  verification(context: TurnContext, result: 'success' | 'failure' | 'locked_out', attempt: number, accountId: string | null) {
    return this.decide(context, { type: 'verification', result, attempt, accountId });
  }

  evaluation(context: TurnContext, proposal: Proposal | null, d: Decision, authority: AuthorityLevel, envelope: Envelope) {
    return this.decide(context, {
      type: 'policy_evaluation',
      policyId: d.policyId,
      policyVersion: d.policyVersion,
      authority,
      outcome: d.outcome,
      ruleIds: [...new Set([...d.reasons.map((r) => r.ruleId), ...(d.offer?.ruleIds ?? []), ...(d.handoff?.ruleIds ?? [])])],
      reasons: d.reasons,
      envelope: envelopeSummary(envelope, authority),
      proposal,
      offerIds: d.offer ? [d.offer.offerId] : [],
      amounts: d.offer ? offerAmounts(d.offer) : {},
    });
  }

  offerShown(context: TurnContext, offer: Offer, policy: { id: string; version: string }, currency: string, messageKey: string, text: string) {
    return this.decide(context, {
      type: 'offer_shown',
      offerId: offer.offerId,
      policyId: policy.id,
      policyVersion: policy.version,
      ruleIds: offer.ruleIds,
      currency,
      amounts: offerAmounts(offer),
      messageKey,
      text,
      offer,
    });
  }

  async agreement(context: TurnContext, offer: Offer, consentText: string, reference: string, variant: string | null) {
    await this.decide(context, { type: 'consent', offerId: offer.offerId, redactedText: await this.stored(context, consentText) });
    await this.decide(context, { type: 'arrangement_created', reference, offerId: offer.offerId, variant });
  }

  handoff(context: TurnContext, h: Handoff, variant: string | null) {
    return this.decide(context, {
      type: 'handoff',
      reason: h.reason,
      urgency: h.urgency,
      authorityNeeded: h.authorityNeeded,
      ruleIds: h.ruleIds,
      variant,
    });
  }

  variant(context: TurnContext, accountId: string, variant: Variant) {
    return this.decide(context, { type: 'variant', accountId, ...variant });
  }

  feedbackAsked(context: TurnContext, after: FeedbackEnding, variant: string | null) {
    return this.decide(context, { type: 'feedback_asked', after, variant });
  }

  feedback(context: TurnContext, answer: { satisfaction: number | null; fair: boolean | null }, variant: string | null) {
    return this.decide(context, { type: 'feedback', ...answer, variant });
  }

  promise(context: TurnContext, p: NonNullable<CaseFile['promise']>) {
    return this.decide(context, { type: 'promise_to_pay', date: p.date, amountMinor: p.amountMinor });
  }

  async stopContact(context: TurnContext, text: string) {
    return this.decide(context, { type: 'stop_contact', source: 'cardholder', redactedText: await this.stored(context, text) });
  }

  accountFacts(context: TurnContext, accountId: string, currency: string, amounts: Record<string, number>) {
    return this.decide(context, { type: 'account_facts', accountId, currency, amounts });
  }

  async agentAction(conversationId: string, action: Extract<DecisionPayload, { type: 'agent_action' }>) {
    await this.store.append(conversationId, { kind: 'decision', actor: 'agent', at: this.clock.now().toISOString(), payload: action });
  }
}

function blankEntities(entities: UnderstandingResult['entities']): UnderstandingResult['entities'] {
  return Object.fromEntries(Object.keys(entities).map((k) => [k, null])) as UnderstandingResult['entities'];
}

/** Flag memory kept for this many conversations; one not kept is rebuilt from its transcript once. */
const FLAG_MEMORIES = 10_000;

/**
 * Records every inbound and outbound activity of a conversation, redacted, in order, with the
 * turn's decisions and the compliance flags they raise, as one atomic batch per turn. The
 * cardholder's message is stored as the privacy boundary stored it (verification answers replaced:
 * the transcript proves they were asked, not what they were).
 *
 * A reply reaches the channel only after its record is stored: the turn runs in Bot Framework's
 * `expectReplies` delivery mode, so replies wait in the turn context; once the batch is stored
 * they go to the adapter together.
 */
export class TranscriptMiddleware implements Middleware {
  /** What each conversation's records up to a head established, so a turn's flags need only its own records. */
  private readonly memories = new Map<string, { head: ChainHead; memory: FlagMemory }>();

  constructor(
    private readonly store: TranscriptStore,
    private readonly clock: Clock,
    private readonly inbound: InboundPrivacy,
    /**
     * Where a conversation's records wait until the cardholder first writes, forgotten `ttlSec`
     * after the last of them: a chat opened and never written in creates no transcript. Absent: stored at once.
     */
    private readonly held?: { prelude: KeyValueStore<TranscriptEntry[]>; ttlSec: number },
    private readonly flagContext: FlagContext = { phrases: loadForbiddenPhrases(), contactRules: ContactRules.parse({}) },
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const conversationId = context.activity.conversation.id;
    const cardholderWrote = context.activity.type === 'message';
    const turn = TurnRecords.open(context, (held) => this.flush(conversationId, held, cardholderWrote));
    if (context.activity.type === 'message') {
      turn.activity(this.entry('cardholder', context.activity, (await this.inbound.of(context)).stored), false);
    }
    let ended = false;
    context.onSendActivities(async (_ctx, activities, proceed) => {
      const recorded = activities.filter((a) => a.type === 'message' || a.type === 'event');
      if (!ended) {
        for (const a of recorded) turn.activity(this.entry('bot', a, null), a.type === 'message');
      } else if (recorded.length > 0) {
        // Sent after the turn's batch (the turn-error reply): recorded before it goes out.
        await this.store.appendBatch(conversationId, () => recorded.map((a) => this.entry('bot', a, null)));
      }
      return proceed();
    });
    const deliveryMode = context.activity.deliveryMode;
    const hold = deliveryMode !== DeliveryModes.ExpectReplies;
    if (hold) context.activity.deliveryMode = DeliveryModes.ExpectReplies;
    let failure: unknown = null;
    try {
      await next();
    } catch (err) {
      failure = err;
    } finally {
      if (hold) context.activity.deliveryMode = deliveryMode;
      ended = true;
    }
    try {
      await TurnRecords.store(context);
    } catch (err) {
      // Not stored, so not delivered: the replies stay with the failed turn.
      if (hold) context.bufferedReplyActivities.splice(0);
      throw failure ?? err;
    }
    if (hold) {
      const replies = context.bufferedReplyActivities.splice(0);
      if (replies.length > 0) await context.adapter.sendActivities(context, replies);
    }
    if (failure) throw failure;
  }

  /**
   * Stores what the turn has recorded so far as one batch, with the compliance flags its records
   * raise — an amount no policy output or account fact vouches for, a forbidden phrase, an account
   * detail before verification — each a `flag` decision, searchable in the review console.
   */
  private async flush(conversationId: string, turn: TurnRecords, cardholderWrote: boolean): Promise<void> {
    const held = turn.take();
    if (held.entries.length === 0) return;
    const prelude = this.held?.prelude;
    if (prelude && !cardholderWrote) {
      // Read together (one round trip): whether the transcript exists, and what is held aside.
      const [head, aside] = await Promise.all([this.store.head(conversationId), prelude.get(conversationId)]);
      if (head === null) {
        // The greeting of a chat nobody has written in yet: held aside, it expires unless they write.
        const earlier = aside ?? [];
        await prelude.set(conversationId, [...earlier, ...held.sealAfter({ seq: earlier.length, hash: '' })], this.held!.ttlSec);
        turn.unstarted = true;
        return;
      }
    }
    let waiting: TranscriptEntry[] = [];
    let memory: FlagMemory = FRESH_MEMORY;
    const stored = await this.store.appendBatch(conversationId, async (head) => {
      // The held greeting goes first, and only into a transcript that does not exist yet; read only
      // then, so the turns after the first cost no extra round trip.
      waiting = prelude && cardholderWrote && head.seq === 0 ? ((await prelude.get(conversationId)) ?? []) : [];
      const before = waiting;
      const entries = [...before, ...held.sealAfter({ ...head, seq: head.seq + before.length })];
      // Flags cite records by seq; seqs are known before sealing, so no record is hashed twice.
      const numbered = entries.map((e, i) => ({ ...e, conversationId, seq: head.seq + 1 + i })) as unknown as TranscriptRecord[];
      const raised = flagsAfter(await this.memoryAt(conversationId, head), numbered, this.flagContext);
      memory = raised.memory;
      const at = this.clock.now().toISOString();
      return [...entries, ...raised.flags.map((flag): TranscriptEntry => ({ kind: 'decision', actor: 'system', at, payload: { type: 'flag', ...flag } }))];
    });
    if (waiting.length > 0) await prelude?.delete(conversationId);
    const last = stored.at(-1);
    if (!last) return;
    this.memories.delete(conversationId);
    this.memories.set(conversationId, { head: { seq: last.seq, hash: last.hash }, memory });
    if (this.memories.size > FLAG_MEMORIES) this.memories.delete(this.memories.keys().next().value!);
  }

  /** The memory at `head`: kept from this instance's last batch, or rebuilt from the stored records. */
  private async memoryAt(conversationId: string, head: ChainHead): Promise<FlagMemory> {
    if (head.seq === 0) return FRESH_MEMORY;
    const known = this.memories.get(conversationId);
    if (known && known.head.seq === head.seq && known.head.hash === head.hash) return known.memory;
    const earlier = (await this.store.read(conversationId)).filter((r) => r.seq <= head.seq);
    return flagsAfter(FRESH_MEMORY, earlier, this.flagContext).memory;
  }

  private entry(actor: 'cardholder' | 'bot', activity: Partial<Activity>, replacement: string | null): TranscriptEntry & { kind: 'activity' } {
    const text = replacement ?? (activity.text ? redact(activity.text).text : null);
    // A cardholder's channelData is whatever their client sent: none of it is recorded (records are
    // sealed as built, not re-validated), only what the bot itself set on its own activities.
    const channelData = (actor === 'bot' ? (activity.channelData ?? {}) : {}) as { messageKey?: string; agent?: string };
    return {
      kind: 'activity',
      // An agent's reply goes out through the same adapter as the bot's; the transcript keeps them apart.
      actor: actor === 'bot' && channelData.agent ? 'agent' : actor,
      at: this.clock.now().toISOString(),
      payload: {
        type: activity.type === 'event' ? `event:${activity.name ?? ''}` : (activity.type ?? 'message'),
        text,
        messageKey: channelData.messageKey ?? null,
        language: null,
        attachments: (activity.attachments ?? []).map((a) => ({ contentType: a.contentType, name: a.name ?? null })),
        suggestedActions: (activity.suggestedActions?.actions ?? []).map((a) => String(a.title ?? a.value)),
        basedOn: [],
        channel: activity.channelId ?? null,
      },
    };
  }
}
