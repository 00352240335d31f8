/**
 * The decision audit: every step that could matter to a cardholder or a regulator is written to the
 * conversation's hash-chained transcript with its inputs and outputs, and every message the bot
 * sends is linked (`basedOn`) to the decisions it expresses — so compliance staff can click an
 * offer and see the policy rule and version that allowed it.
 */
import type { Activity, Middleware, TurnContext } from 'botbuilder';
import type { AuthorityLevel, Decision, Envelope, Handoff, Offer, Proposal } from '../policy/index.js';
import type { UnderstandingResult } from '../conversation/understanding.js';
import type { CaseFile } from '../conversation/case.js';
import type { Clock } from '../conversation/clock.js';
import { keepHealthCategory, redact } from './privacy/redact.js';
import type { DecisionPayload } from './transcripts/schema.js';
import type { FeedbackEnding, Auditor } from '../conversation/audit.js';
import type { Variant } from '../conversation/variant.js';
import type { TranscriptStore } from './transcripts/store.js';
import { loadForbiddenPhrases, newFlags, type FlagContext } from './transcripts/flags.js';
import { ContactRules } from './contact/gate.js';

/** Decisions recorded during a turn, waiting to be cited by the next bot message. */
const BASIS = Symbol('forbear.audit.basis');

function basisOf(context: TurnContext): number[] {
  let list = context.turnState.get(BASIS) as number[] | undefined;
  if (!list) {
    list = [];
    context.turnState.set(BASIS, list);
  }
  return list;
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
  ) {}

  private async decide(context: TurnContext, payload: DecisionPayload, actor: 'bot' | 'system' = 'bot'): Promise<void> {
    const record = await this.store.append(context.activity.conversation.id, {
      kind: 'decision',
      actor,
      at: this.clock.now().toISOString(),
      payload,
    });
    basisOf(context).push(record.seq);
  }

  understanding(context: TurnContext, r: UnderstandingResult, text: string) {
    return this.decide(context, {
      type: 'understanding',
      engine: r.engine,
      promptVersion: r.promptVersion,
      intent: r.intent,
      entities: r.entities,
      signals: r.signals,
      confidence: r.confidence,
      language: r.language,
      redactedText: keepHealthCategory(redact(text).text, r.signals).text,
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
    await this.decide(context, { type: 'consent', offerId: offer.offerId, redactedText: redact(consentText).text });
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

  stopContact(context: TurnContext, text: string) {
    return this.decide(context, { type: 'stop_contact', source: 'cardholder', redactedText: redact(text).text });
  }

  accountFacts(context: TurnContext, accountId: string, currency: string, amounts: Record<string, number>) {
    return this.decide(context, { type: 'account_facts', accountId, currency, amounts });
  }

  async agentAction(conversationId: string, action: Extract<DecisionPayload, { type: 'agent_action' }>) {
    await this.store.append(conversationId, { kind: 'decision', actor: 'agent', at: this.clock.now().toISOString(), payload: action });
  }
}

/**
 * Records every inbound and outbound activity of a conversation, redacted, in order. Verification
 * answers are replaced before they are written: the transcript proves they were asked, not what
 * they were.
 */
export class TranscriptMiddleware implements Middleware {
  constructor(
    private readonly store: TranscriptStore,
    private readonly clock: Clock,
    private readonly isVerificationAnswer: (context: TurnContext) => Promise<boolean>,
    private readonly flagContext: FlagContext = { phrases: loadForbiddenPhrases(), contactRules: ContactRules.parse({}) },
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const conversationId = context.activity.conversation.id;
    if (context.activity.type === 'message') {
      const secret = await this.isVerificationAnswer(context);
      await this.write(conversationId, 'cardholder', context.activity, secret ? '[verification answer]' : null, []);
    }
    let spoke = false;
    context.onSendActivities(async (ctx, activities, proceed) => {
      const responses = await proceed();
      for (const activity of activities) {
        if (activity.type !== 'message' && activity.type !== 'event') continue;
        spoke ||= activity.type === 'message';
        // What the cardholder reads is what the decisions are cited for; events only carry structure.
        const basis = activity.type === 'message' ? basisOf(ctx).splice(0) : [];
        await this.write(conversationId, 'bot', activity, null, basis);
      }
      return responses;
    });
    await next();
    if (spoke) await this.raiseFlags(conversationId);
  }

  /**
   * Compliance flags are raised as the conversation happens, once per turn that said something: an
   * amount no policy output or account fact vouches for, a forbidden phrase, an account detail
   * before verification. Each becomes a `flag` decision, searchable in the review console.
   */
  private async raiseFlags(conversationId: string): Promise<void> {
    const records = await this.store.read(conversationId);
    for (const flag of newFlags(records, this.flagContext)) {
      await this.store.append(conversationId, { kind: 'decision', actor: 'system', at: this.clock.now().toISOString(), payload: { type: 'flag', ...flag } });
    }
  }

  private async write(
    conversationId: string,
    actor: 'cardholder' | 'bot',
    activity: Partial<Activity>,
    replacement: string | null,
    basedOn: number[],
  ): Promise<void> {
    const text = replacement ?? (activity.text ? redact(activity.text).text : null);
    const channelData = (activity.channelData ?? {}) as { messageKey?: string; agent?: string };
    await this.store.append(conversationId, {
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
        basedOn,
        channel: activity.channelId ?? null,
      },
    });
  }
}
