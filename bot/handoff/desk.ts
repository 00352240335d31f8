/**
 * The handoff desk: where a case goes when the bot reaches its limits. Each handed-off conversation
 * gets a ticket — why, how urgent, how to reach the cardholder on their own channel, and a packet
 * so the agent never makes the cardholder repeat anything — and a place in the queue. Tickets and
 * the queue live in the shared stores; claiming is compare-and-set, so two agents (on any
 * instances) can never own the same case.
 */
import { TurnContext } from 'botbuilder-core';
import { z } from 'zod';
import { balanceOf, explain, Handoff, HandoffUrgency, Offer, Proposal } from '../../policy/index.js';
import type { Policy } from '../../policy/index.js';
import { Language } from '../../conversation/language.js';
import { assessmentOf, type CaseFile } from '../../conversation/case.js';
import { todayIn, type Clock } from '../../conversation/clock.js';
import type { AccountService } from '../../conversation/accounts.js';
import { moveLegacyList, type KeyValueStore, type RankedSet, type Stores } from '../storage/index.js';
import type { TranscriptStore } from '../transcripts/store.js';
import type { HandoffDesk, OpenResult } from '../../conversation/handoff.js';
import type { Logger } from '../logger.js';

const Minor = z.number().int();

/** Everything an agent needs to take over without the cardholder repeating a word. */
export const HandoffPacket = z.object({
  conversationId: z.string(),
  language: Language,
  reason: z.string(),
  urgency: HandoffUrgency,
  authorityNeeded: Handoff.shape.authorityNeeded,
  /** The policy rules (or triggers) that caused the handoff. */
  ruleIds: z.array(z.string()),
  /** Identity as far as it was verified; never the verification answers. */
  identity: z.object({ verified: z.boolean(), accountId: z.string().nullable() }),
  account: z
    .object({
      currency: z.string(),
      daysPastDue: z.number().int(),
      bucket: z.string(),
      balanceMinor: Minor,
      minimumPaymentMinor: Minor,
      policyId: z.string(),
      policyVersion: z.string(),
    })
    .nullable(),
  situation: z.object({
    hardshipReason: z.string().nullable(),
    incomeMinor: Minor.nullable(),
    expensesMinor: Minor.nullable(),
    disposableMinor: Minor.nullable(),
    maxMonthlyPaymentMinor: Minor.nullable(),
    signals: z.array(z.string()),
  }),
  offersMade: z.array(
    z.object({ offerId: z.string(), months: z.number().int().nullable(), monthlyPaymentMinor: Minor.nullable(), totalRepayableMinor: Minor, ruleIds: z.array(z.string()) }),
  ),
  /** What the cardholder asked for that the policy countered or could not grant. */
  counterProposal: Proposal.nullable(),
  /** The cardholder's last messages, redacted as recorded. */
  cardholderSaid: z.array(z.string()),
  transcript: z.string(),
});
export type HandoffPacket = z.infer<typeof HandoffPacket>;

export const TicketStatus = z.enum(['waiting', 'claimed', 'closed', 'returned']);

/**
 * An agent's request for a supervisor's approval: the terms the agent proposed, as the policy
 * computed them at supervisor authority, waiting in the supervisors' queue. The agent keeps the
 * chat; the supervisor approves (the terms go to the cardholder for consent) or declines with a reason.
 */
export const ApprovalRequest = z.object({
  proposal: Proposal,
  /** The affordability override reason the agent named, if any (policy `affordabilityOverride`). */
  override: z.object({ reasonCode: z.string() }).nullable().default(null),
  offer: Offer,
  /** The policy's reasons (rule ids) for the offer and for why the agent's own authority was not enough. */
  reasons: z.array(z.object({ code: z.string(), ruleId: z.string(), detail: z.string().optional() })),
  note: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  status: z.enum(['pending', 'approved', 'declined']),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionReason: z.string().nullable(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

export const HandoffTicket = z.object({
  conversationId: z.string(),
  /** Bot Framework conversation reference: how to reach the cardholder on their own channel. */
  reference: z.record(z.string(), z.unknown()),
  channelId: z.string(),
  language: Language,
  accountId: z.string().nullable(),
  handoff: Handoff,
  packet: HandoffPacket,
  status: TicketStatus,
  openedAt: z.string(),
  claimedBy: z.object({ name: z.string(), role: z.string(), at: z.string() }).nullable(),
  outcome: z.string().nullable(),
  /** The call-back / continue-with-bot choice has been offered (outside hours, or the wait ran long). */
  alternativesOffered: z.boolean().default(false),
  approval: ApprovalRequest.nullable().default(null),
  /** Terms a person sent to the cardholder, waiting for their consent in the channel. */
  awaitingConsent: z.object({ offer: Offer, by: z.string() }).nullable().default(null),
  /** The arrangement the case ended in, for the agent who handled it. */
  arrangement: z.object({ reference: z.string(), offer: Offer, approvedBy: z.string().nullable() }).nullable().default(null),
  notes: z.array(z.object({ by: z.string(), at: z.string(), text: z.string() })).default([]),
});
export type HandoffTicket = z.infer<typeof HandoffTicket>;

/** Before 2026-12-01 the queue was one list in one record (`handoff-queue`/`open`), rewritten by every change. */
const LegacyQueue = z.array(z.object({ conversationId: z.string(), urgency: HandoffUrgency, openedAt: z.string() }));

const URGENCY_RANK = { critical: 0, high: 1, normal: 2 } as const;
/** Above any epoch millisecond before 2286-11-20 (1e13 ms), and urgency × it + milliseconds stays an exact double. */
const URGENCY_STEP = 1e13;

/** The queue's order: most urgent first, then longest waiting (`openedAtMs` in [0, URGENCY_STEP)). */
function queueScore(urgency: z.infer<typeof HandoffUrgency>, openedAtMs: number): number {
  return URGENCY_RANK[urgency] * URGENCY_STEP + openedAtMs;
}

/** A ticket no longer in the queue's care: finished, or handed back to the bot. */
const finished = (ticket: HandoffTicket | undefined) => ticket?.status === 'closed' || ticket?.status === 'returned';

export interface DeskSettings {
  /** Local opening hours of the agent team, e.g. 09:00–18:00; null = always staffed. */
  hours: { start: string; end: string } | null;
  /** Average handling time per case ahead, for the honest wait estimate. */
  minutesPerCase: number;
  /** After this long unclaimed, a writing cardholder is offered the alternatives; 0 = never. */
  queueTimeoutMin: number;
}

export interface DeskDependencies {
  stores: Stores;
  clock: Clock;
  transcripts: TranscriptStore;
  accounts: AccountService;
  policy(id: string): Policy;
  defaultPolicyId: string;
  settings: DeskSettings;
  logger: Pick<Logger, 'warn'>;
}

function offerSummary(offer: Offer) {
  return {
    offerId: offer.offerId,
    months: offer.installment?.months ?? null,
    monthlyPaymentMinor: offer.installment?.monthlyPaymentMinor ?? null,
    totalRepayableMinor: offer.totalRepayableMinor,
    ruleIds: offer.ruleIds,
  };
}

export class QueueDesk implements HandoffDesk {
  readonly tickets: KeyValueStore<HandoffTicket>;
  /** Open cases by conversation id, in `queueScore` order. */
  private readonly queue: RankedSet;
  private readonly legacyQueue;

  constructor(private readonly deps: DeskDependencies) {
    this.tickets = deps.stores.keyValue({ namespace: 'handoff-ticket', schema: HandoffTicket, scope: 'conversation' });
    this.queue = deps.stores.rankedSet('handoff-queue');
    this.legacyQueue = deps.stores.keyValue({ namespace: 'handoff-queue', schema: LegacyQueue, scope: 'global' });
  }

  async open(context: TurnContext, file: CaseFile, handoff: Handoff): Promise<OpenResult> {
    const conversationId = context.activity.conversation.id;
    const now = this.deps.clock.now();
    const openedAt = now.toISOString();
    await this.tickets.set(conversationId, {
      conversationId,
      reference: { ...TurnContext.getConversationReference(context.activity) },
      channelId: context.activity.channelId,
      language: file.language,
      accountId: file.accountId,
      handoff,
      packet: await this.packet(conversationId, file, handoff),
      status: 'waiting',
      openedAt,
      claimedBy: null,
      outcome: null,
      alternativesOffered: !this.staffed(),
      approval: null,
      awaitingConsent: null,
      arrangement: null,
      notes: [],
    });
    await this.moveLegacyQueue();
    const position = await this.queue.put(conversationId, queueScore(handoff.urgency, now.getTime()));
    if (!this.staffed()) return { available: false };
    return { available: true, position, waitMinutes: Math.max(1, position * this.deps.settings.minutesPerCase) };
  }

  /** Waiting and claimed cases, most urgent and longest waiting first. */
  async list(): Promise<HandoffTicket[]> {
    await this.moveLegacyQueue();
    const queued = await this.queue.entries();
    const tickets = await Promise.all(queued.map(([id]) => this.tickets.get(id)));
    // A finished case still queued: an instance of the earlier version (a rolling upgrade) finished
    // it after it was moved here, and took it off only its own list (or a finish here stopped
    // between the ticket and the queue). Taken off at the score read, so a case opened again since
    // keeps its new place.
    await Promise.all(queued.map(([id, score], i) => (finished(tickets[i]) ? this.queue.removeAt(id, score) : undefined)));
    return tickets.filter((t): t is HandoffTicket => t !== undefined && (t.status === 'waiting' || t.status === 'claimed'));
  }

  /** Compare-and-set: exactly one agent wins a waiting case. */
  async claim(conversationId: string, name: string, role: string): Promise<HandoffTicket | 'taken' | 'missing'> {
    if (!(await this.tickets.get(conversationId))) return 'missing';
    const at = this.deps.clock.now().toISOString();
    const verdict = { won: false };
    const ticket = await this.tickets.update(conversationId, (current) => {
      const open = current!.status === 'waiting' || current!.claimedBy?.name === name;
      verdict.won = open;
      return open ? { ...current!, status: 'claimed', claimedBy: current!.claimedBy ?? { name, role, at } } : current!;
    });
    return verdict.won ? ticket : 'taken';
  }

  /** Back to the queue (the agent releases it), or to a named colleague (a transfer). */
  async reassign(conversationId: string, to: { name: string; role: string } | null): Promise<HandoffTicket> {
    const at = this.deps.clock.now().toISOString();
    return this.tickets.update(conversationId, (current) =>
      to ? { ...current!, status: 'claimed', claimedBy: { ...to, at } } : { ...current!, status: 'waiting', claimedBy: null },
    );
  }

  /** Any other change to a ticket (approval request, notes, terms awaiting consent), applied atomically. */
  change(conversationId: string, apply: (ticket: HandoffTicket) => HandoffTicket): Promise<HandoffTicket> {
    return this.tickets.update(conversationId, (current) => apply(current!));
  }

  /** Open cases with a pending approval request, oldest request first: the supervisors' queue. */
  async approvals(): Promise<HandoffTicket[]> {
    return (await this.list())
      .filter((t) => t.approval?.status === 'pending')
      .sort((a, b) => a.approval!.requestedAt.localeCompare(b.approval!.requestedAt));
  }

  /** True once, for a case left unclaimed longer than the queue time-out: the moment to offer alternatives. */
  async timedOut(conversationId: string): Promise<boolean> {
    const limit = this.deps.settings.queueTimeoutMin;
    if (limit === 0) return false;
    const cutoff = this.deps.clock.now().getTime() - limit * 60_000;
    const verdict = { due: false };
    await this.tickets.update(conversationId, (t) => {
      verdict.due = t!.status === 'waiting' && !t!.alternativesOffered && Date.parse(t!.openedAt) <= cutoff;
      return verdict.due ? { ...t!, alternativesOffered: true } : t!;
    });
    return verdict.due;
  }

  /** Takes the case off the queue with how it ended ("arrangement", "returned_to_bot", an outcome code). */
  async finish(conversationId: string, status: 'closed' | 'returned', outcome: string): Promise<void> {
    await this.tickets.update(conversationId, (current) => ({ ...current!, status, outcome }));
    await this.moveLegacyQueue();
    await this.queue.remove(conversationId);
  }

  /**
   * A store written by an earlier version keeps the queue as one list. Checked on every open, list
   * and finish, so cases queued by an instance of the earlier version during a rolling upgrade are
   * not lost, and a case finished here is not moved in after.
   */
  private moveLegacyQueue(): Promise<void> {
    return moveLegacyList(this.legacyQueue, 'open', (e) => this.queue.put(e.conversationId, queueScore(e.urgency, this.legacyOpenedAt(e))));
  }

  /**
   * An earlier-version entry's opening time. The list is data read back from Redis, written by
   * another version or by hand: a time that does not parse would make the score NaN (Redis refuses
   * it, and the move of every other entry with it), and one outside the score's range would sort
   * it among another urgency. Such an entry is queued as opened at the move, and logged; not lost.
   */
  private legacyOpenedAt(entry: z.infer<typeof LegacyQueue>[number]): number {
    const ms = Date.parse(entry.openedAt);
    if (ms >= 0 && ms < URGENCY_STEP) return ms;
    const movedAt = this.deps.clock.now().getTime();
    this.deps.logger.warn(
      { conversationId: entry.conversationId, openedAt: entry.openedAt, queuedAs: new Date(movedAt).toISOString() },
      'handoff queue: an earlier-version entry with an unreadable opening time, queued as opened now',
    );
    return movedAt;
  }

  private staffed(): boolean {
    const hours = this.deps.settings.hours;
    if (!hours) return true;
    const timezone = this.deps.policy(this.deps.defaultPolicyId).timezone;
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hour12: false }).format(
      this.deps.clock.now(),
    );
    return local >= hours.start && local < hours.end;
  }

  private async packet(conversationId: string, file: CaseFile, handoff: Handoff): Promise<HandoffPacket> {
    const record = file.accountId ? await this.deps.accounts.get(file.accountId) : null;
    const policy = this.deps.policy(record?.policyId ?? this.deps.defaultPolicyId);
    const explanation = record
      ? explain(policy, record.account, assessmentOf(file, todayIn(this.deps.clock, policy.timezone)))
      : null;
    const records = await this.deps.transcripts.read(conversationId);
    const offersMade = records.flatMap((r) =>
      r.kind === 'decision' && r.payload.type === 'offer_shown' && r.payload.offer ? [offerSummary(r.payload.offer)] : [],
    );
    // What the cardholder last asked for, even if the policy refused it outright ("90% off").
    const lastAsked = records
      .flatMap((r) => (r.kind === 'decision' && r.payload.type === 'policy_evaluation' && r.payload.proposal ? [r.payload.proposal] : []))
      .at(-1);
    const cardholderSaid = records
      .flatMap((r) => (r.kind === 'activity' && r.actor === 'cardholder' && r.payload.text ? [r.payload.text] : []))
      .slice(-10);
    const a = record?.account;
    return {
      conversationId,
      language: file.language,
      reason: handoff.reason,
      urgency: handoff.urgency,
      authorityNeeded: handoff.authorityNeeded,
      ruleIds: handoff.ruleIds,
      identity: { verified: file.verification.verified, accountId: file.accountId },
      account:
        a && explanation
          ? {
              currency: a.currency,
              daysPastDue: a.daysPastDue,
              bucket: explanation.bucket.id,
              balanceMinor: balanceOf(a),
              minimumPaymentMinor: a.minimumPaymentMinor,
              policyId: policy.id,
              policyVersion: policy.version,
            }
          : null,
      situation: {
        hardshipReason: file.hardshipReason,
        incomeMinor: file.monthlyIncomeMinor,
        expensesMinor: file.essentialExpensesMinor,
        disposableMinor: explanation?.envelope.affordability.disposableMinor ?? null,
        maxMonthlyPaymentMinor: explanation?.envelope.affordability.maxMonthlyPaymentMinor ?? null,
        signals: [...file.signals],
      },
      offersMade,
      counterProposal: file.counteredProposal ?? file.pendingProposal ?? lastAsked ?? null,
      cardholderSaid,
      transcript: `/agent/api/cases/${encodeURIComponent(conversationId)}`,
    };
  }
}
