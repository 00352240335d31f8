/**
 * Scheduled contact after the agreement: reminders before each due date, a nudge after a miss,
 * what the breach rules decided (late, catch-up, cancelled, completed), a promise to pay checked on
 * its date, and a call-back an agent promised. Each is a job on the queue (BullMQ on Redis, the
 * in-process twin embedded) keyed so that planning it again is harmless.
 *
 * When a job's moment comes, every send passes the contact gate (stop-contact, open dispute, a
 * person handling the case, the weekly cap, quiet hours in the cardholder's timezone) and the
 * gate's decision is recorded in the arrangement's transcript chain. Refused: rescheduled to when
 * the gate allows it, or dropped, as the policy says; never sent anyway. A send is claimed before
 * it goes out and released if the channel fails, so a channel outage delays it and a crash or a
 * redelivered job never sends it twice.
 */
import { z } from 'zod';
import { instantOf, mayContact, type ContactDecision } from '../contact/gate.js';
import { addDays, plannedContacts, stillDue, type BreachNotice, type ContactPurpose, type LedgerEvent, noticesOf } from '../../policy/index.js';
import type { Policy } from '../../policy/index.js';
import type { Clock } from '../../conversation/clock.js';
import { todayIn } from '../../conversation/clock.js';
import type { Logger } from '../logger.js';
import { DateStyle, formatDate, formatMoney, MessageKeyName, t, type MessageKey } from '../../conversation/messages/index.js';
import type { Stores } from '../storage/index.js';
import type { TranscriptStore } from '../transcripts/store.js';
import { Language } from '../../conversation/language.js';
import type { JobQueue } from './jobs.js';
import type { LedgerBook, LedgerRecord } from './ledgerBook.js';

export const ContactJob = z.object({
  purpose: z.enum(['reminder', 'missed_nudge', 'promise_check', 'callback', 'breach_notice']),
  conversationId: z.string().min(1),
  accountId: z.string().min(1),
  reference: z.string().nullable(),
  n: z.number().int().min(0),
  /** Ready-made message for breach notices and call-backs; reminders are rendered when they run. */
  messageKey: MessageKeyName.nullable(),
  vars: z.record(z.string(), z.union([z.string(), z.number()])),
  /**
   * Promise checks: the promised date and amount, when it was made, and the conversation's policy,
   * language and date order (a promise may come with no arrangement to take them from; null/iso in
   * jobs queued before they were recorded).
   */
  promise: z
    .object({
      date: z.string(),
      amountMinor: z.number().int().nullable(),
      madeAt: z.string(),
      policyId: z.string().nullable().default(null),
      language: Language.nullable().default(null),
      dateStyle: DateStyle.default('iso'),
    })
    .nullable(),
});
export type ContactJob = z.infer<typeof ContactJob>;

/** A message ready for a channel. */
export interface Outreach {
  key: string;
  purpose: ContactPurpose;
  conversationId: string;
  accountId: string;
  channel: string;
  language: Language;
  messageKey: string;
  text: string;
}

export interface ContactChannel {
  /** Throws when the channel is unavailable (the job is retried later); false when it cannot reach this cardholder at all. */
  send(outreach: Outreach): Promise<boolean>;
}

/** What the gate needs to know about the cardholder beyond the clock. */
export interface ContactFacts {
  stopContact: boolean;
  disputeOpen: boolean;
  handedOff: boolean;
}

export interface SchedulerDeps {
  queue: JobQueue<ContactJob>;
  book: LedgerBook;
  stores: Stores;
  transcripts: TranscriptStore;
  policy(id: string): Policy;
  clock: Clock;
  logger: Logger;
  /** Channel by the arrangement's channel id; the Web Chat inbox when none matches. */
  channelFor(channelId: string): ContactChannel;
  facts(accountId: string): Promise<ContactFacts>;
  onDecision?(channel: string, decision: string): void;
}

const History = z.array(z.string());
const Claim = z.object({ state: z.enum(['sending', 'sent']), at: z.string() });
const HISTORY_KEEP = 64;

/** What every job about a ledger carries; the purpose, number and message are the job's own. */
const ledgerJob = (record: LedgerRecord): Omit<ContactJob, 'purpose' | 'n'> => ({
  conversationId: record.conversationId,
  accountId: record.accountId,
  reference: record.ledger.reference,
  messageKey: null,
  vars: {},
  promise: null,
});

export class ContactScheduler {
  private readonly history;
  private readonly claims;

  constructor(private readonly deps: SchedulerDeps) {
    this.history = deps.stores.keyValue({ namespace: 'contact-history', schema: History, scope: 'global' });
    this.claims = deps.stores.keyValue({ namespace: 'contact-claim', schema: Claim, scope: 'global' });
  }

  start(): void {
    this.deps.queue.start(async ({ id, data }) => this.run(id, ContactJob.parse(data)));
  }

  /** The instant a local date's send time happens in the policy's timezone. */
  private at(on: string, policy: Policy): Date {
    const [hour, minute] = policy.reminders.sendAt.split(':').map(Number) as [number, number];
    const [year, month, day] = on.split('-').map(Number) as [number, number, number];
    return new Date(instantOf({ year, month, day, hour, minute }, policy.timezone));
  }

  /** Queues the ledger's next reminder or nudge, and notices for what its events decided. */
  async planFor(record: LedgerRecord, events: LedgerEvent[] = []): Promise<void> {
    const policy = this.deps.policy(record.policyId);
    await this.queueNext(record);
    const now = this.deps.clock.now();
    for (const [i, notice] of noticesOf(record.ledger, events, policy.breach).entries()) {
      const { messageKey, vars } = this.noticeMessage(record, notice);
      const key = `${record.ledger.reference}:notice:${record.ledger.events.length}:${i}:${notice.kind}`;
      await this.deps.queue.add(key, { ...ledgerJob(record), purpose: 'breach_notice', n: 0, messageKey, vars }, now);
    }
  }

  /**
   * Reminders and nudges are queued one at a time: the first the plan holds from today, and each,
   * when its moment comes, queues the one after it in the plan (`after`: its key; the plan's first
   * when it is no longer planned, e.g. paid since). A ledger has one future contact job, not one per
   * instalment and reminder day; the plan is re-read each time, so payments and changes count.
   */
  private async queueNext(record: LedgerRecord, after?: string): Promise<void> {
    const policy = this.deps.policy(record.policyId);
    const plan = plannedContacts(record.ledger, policy.breach, policy.reminders, todayIn(this.deps.clock, policy.timezone));
    const next = plan[after === undefined ? 0 : plan.findIndex((c) => c.key === after) + 1];
    if (!next) return;
    await this.deps.queue.add(next.key, { ...ledgerJob(record), purpose: next.purpose, n: next.n }, this.at(next.on, policy));
  }

  /** A promise to pay ("我明天还"): checked the policy's days after its date against the payments received. */
  async planPromiseCheck(
    conversationId: string,
    accountId: string,
    policyId: string,
    promise: { date: string; amountMinor: number | null; language: Language; dateStyle: DateStyle },
  ): Promise<void> {
    const policy = this.deps.policy(policyId);
    const on = addDays(promise.date, policy.reminders.promiseCheckDaysAfter);
    const madeAt = this.deps.clock.now().toISOString();
    await this.deps.queue.add(
      `${conversationId}:promise:${promise.date}`,
      { purpose: 'promise_check', conversationId, accountId, reference: null, n: 0, messageKey: null, vars: {}, promise: { ...promise, madeAt, policyId } },
      this.at(on, policy),
    );
  }

  /** A call-back a person promised: the cardholder is told when, at a moment the gate allows. */
  async planCallback(conversationId: string, accountId: string, at: Date, timeText: string): Promise<void> {
    await this.deps.queue.add(
      `${conversationId}:callback:${at.toISOString()}`,
      { purpose: 'callback', conversationId, accountId, reference: null, n: 0, messageKey: 'lifecycle.callback', vars: { time: timeText }, promise: null },
      this.deps.clock.now(),
    );
  }

  private noticeMessage(record: LedgerRecord, notice: BreachNotice): { messageKey: MessageKey; vars: Record<string, string | number> } {
    const lang = record.language;
    const money = (m: number) => formatMoney(m, record.currency, lang);
    const date = (d: string) => formatDate(d, lang, record.dateStyle);
    const reference = record.ledger.reference;
    switch (notice.kind) {
      case 'late':
        return { messageKey: 'lifecycle.breach.late', vars: { reference, n: notice.n, date: date(notice.dueDate), amount: money(notice.shortMinor), missedBy: date(notice.missedBy) } };
      case 'missed':
        return notice.missesLeft !== null && notice.missesLeft > 0
          ? { messageKey: 'lifecycle.breach.missed_left', vars: { reference, n: notice.n, amount: money(notice.shortMinor), left: notice.missesLeft } }
          : { messageKey: 'lifecycle.breach.missed', vars: { reference, n: notice.n, amount: money(notice.shortMinor) } };
      case 'catch_up':
        return { messageKey: 'lifecycle.breach.catch_up', vars: { reference, until: date(notice.until), amount: money(notice.arrearsMinor) } };
      case 'cancelled':
        return { messageKey: 'lifecycle.breach.cancelled', vars: { reference, amount: money(notice.owedMinor) } };
      case 'completed':
        return { messageKey: 'lifecycle.breach.completed', vars: { reference } };
    }
  }

  /** What the job has to say now, or null when there is nothing left to say (paid since, promise kept). */
  private async compose(
    job: ContactJob,
    arrangement: LedgerRecord | undefined,
  ): Promise<{ record: LedgerRecord | undefined; language?: Language; messageKey: MessageKey; vars: Record<string, string | number> } | null> {
    if (job.purpose === 'promise_check') {
      const promise = job.promise!;
      const paid = await this.deps.book.paymentsFor(job.accountId);
      const since = promise.madeAt;
      const total = paid.filter((p) => p.receivedAt >= since || p.notice.paidAt >= since).reduce((s, p) => s + p.notice.amountMinor, 0);
      const kept = promise.amountMinor === null ? total > 0 : total >= promise.amountMinor;
      if (kept) return null;
      const record = await this.deps.book.activeFor(job.accountId);
      const language = promise.language ?? record?.language ?? 'zh-CN';
      return { record, language, messageKey: 'lifecycle.promise_check', vars: { date: formatDate(promise.date, language, promise.dateStyle) } };
    }
    const record = arrangement;
    if (job.purpose === 'reminder' || job.purpose === 'missed_nudge') {
      if (!record || !stillDue(record.ledger, { purpose: job.purpose, n: job.n })) return null;
      const i = record.ledger.instalments.find((x) => x.n === job.n)!;
      const lang = record.language;
      return {
        record,
        messageKey: job.purpose === 'reminder' ? 'lifecycle.reminder' : 'lifecycle.missed_nudge',
        vars: { reference: record.ledger.reference, n: i.n, amount: formatMoney(i.amountMinor - i.paidMinor, record.currency, lang), date: formatDate(i.dueDate, lang, record.dateStyle) },
      };
    }
    return { record, messageKey: job.messageKey!, vars: job.vars };
  }

  /** Runs one contact job; exported for the tests' sake through the queue. */
  async run(id: string, job: ContactJob): Promise<'done' | { retryAt: Date }> {
    const arrangement = job.reference ? await this.deps.book.get(job.reference) : undefined;
    // First, so that whatever happens to this contact (sent, refused, failed), the plan goes on.
    if (arrangement && (job.purpose === 'reminder' || job.purpose === 'missed_nudge')) await this.queueNext(arrangement, id);
    const composed = await this.compose(job, arrangement);
    if (!composed) return 'done';
    const { record } = composed;
    const policyId = record?.policyId ?? job.promise?.policyId ?? (await this.deps.book.byAccount(job.accountId))[0]?.policyId;
    const policy = this.deps.policy(policyId ?? 'default-cn');
    const channel = record?.channel ?? (await this.channelOf(job.conversationId));
    const language = composed.language ?? record?.language ?? 'zh-CN';
    const now = this.deps.clock.now();
    const facts = await this.deps.facts(job.accountId);
    const decision: ContactDecision = mayContact({
      now: now.toISOString(),
      timezone: policy.timezone,
      rules: {
        startHour: Number(policy.contact.allowedHours.start.slice(0, 2)),
        startMinute: Number(policy.contact.allowedHours.start.slice(3)),
        endHour: Number(policy.contact.allowedHours.end.slice(0, 2)),
        endMinute: Number(policy.contact.allowedHours.end.slice(3)),
        maxPer7Days: policy.contact.maxBotContactsPer7Days,
      },
      history: (await this.history.get(job.accountId)) ?? [],
      ...facts,
    });
    if (!decision.allowed) {
      await this.record(job, channel, policy.timezone, false, decision.reason);
      this.deps.onDecision?.(channel, decision.reason);
      const retry = policy.reminders.onRefused === 'reschedule' && decision.nextAllowedAt ? new Date(decision.nextAllowedAt) : null;
      this.deps.logger.info({ job: id, reason: decision.reason, retryAt: retry?.toISOString() ?? null }, 'scheduled contact refused by the gate');
      return retry ? { retryAt: retry } : 'done';
    }
    // Claim the send: a job run again after a crash or a lost acknowledgement must not send twice.
    let claimed = false;
    await this.claims.update(id, (current) => {
      claimed = current === undefined;
      return current ?? { state: 'sending', at: now.toISOString() };
    });
    if (!claimed) return 'done';
    const text = t(language, composed.messageKey, composed.vars);
    let reached: boolean;
    try {
      reached = await this.deps.channelFor(channel).send({
        key: id,
        purpose: job.purpose,
        conversationId: job.conversationId,
        accountId: job.accountId,
        channel,
        language,
        messageKey: composed.messageKey,
        text,
      });
    } catch (error) {
      // Not sent: release the claim so the retry (with backoff) sends it.
      await this.claims.delete(id);
      throw error;
    }
    await this.claims.set(id, { state: 'sent', at: now.toISOString() });
    await this.record(job, channel, policy.timezone, reached, reached ? null : 'unreachable');
    if (reached) {
      await this.history.update(job.accountId, (h) => [...(h ?? []), now.toISOString()].slice(-HISTORY_KEEP));
      await this.deps.transcripts.append(job.conversationId, {
        kind: 'activity',
        actor: 'bot',
        at: now.toISOString(),
        payload: { type: 'message', text, messageKey: composed.messageKey, language, attachments: [], suggestedActions: [], basedOn: [], channel: null },
      });
    }
    this.deps.onDecision?.(channel, reached ? 'sent' : 'unreachable');
    return 'done';
  }

  private async channelOf(conversationId: string): Promise<string> {
    return conversationId.startsWith('wechat:') ? 'wechat' : 'directline';
  }

  private async record(job: ContactJob, channel: string, timezone: string, allowed: boolean, reason: string | null): Promise<void> {
    await this.deps.transcripts.append(job.conversationId, {
      kind: 'decision',
      actor: 'system',
      at: this.deps.clock.now().toISOString(),
      payload: { type: 'contact_attempt', purpose: job.purpose, channel, timezone, allowed, reason },
    });
  }
}
