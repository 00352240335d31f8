/**
 * Scheduled contact on the in-process queue with a clock the test moves: reminders before due
 * dates through the contact gate (quiet hours rescheduled, stop-contact dropped, a paid instalment
 * not reminded), breach notices as the ledger is assessed, WeChat inside and outside the 48-hour
 * window, the WeChat API failing mid-run (delayed, none lost, none twice), and New York's DST.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createForbear, type Forbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { wallClock } from '../../bot/contact/gate.js';
import type { MemoryJobQueue } from '../../bot/lifecycle/jobs.js';
import type { ContactJob } from '../../bot/lifecycle/scheduler.js';
import type { WeChatSender } from '../../bot/lifecycle/channels.js';
import { conclude } from './fixtures.js';
import { complete } from '../transcripts/fixtures.js';

let now: Date;
const clock = { now: () => now };
let forbear: Forbear;
let sent: { kind: 'text' | 'template'; openId: string; text: string }[];
let wechatDown: boolean;

const fakeWeChat: WeChatSender = {
  async sendText(openId, text) {
    if (wechatDown) throw new TypeError('fetch failed');
    sent.push({ kind: 'text', openId, text });
  },
  async sendTemplate(openId, _template, data) {
    if (wechatDown) throw new TypeError('fetch failed');
    sent.push({ kind: 'template', openId, text: data['content']! });
  },
};

beforeEach(async () => {
  now = new Date('2026-11-22T02:00:00Z');
  sent = [];
  wechatDown = false;
  const env = { LOG_LEVEL: 'silent', WECHAT_REMINDER_TEMPLATE_ID: 'tmpl-reminder', LEDGER_ASSESS_INTERVAL_MIN: '0' };
  forbear = await createForbear({ config: loadConfig(env), clock, logger: createLogger('silent') });
  forbear.lifecycle.start({ wechat: { sender: fakeWeChat, openIdOf: (id) => id.slice('wechat:'.length) } });
});
afterEach(() => forbear.close());

const contactQueue = () => forbear.lifecycle.queues.contact as MemoryJobQueue<ContactJob>;
async function at(iso: string) {
  now = new Date(iso);
  await forbear.lifecycle.book.assessAll();
  await contactQueue().runDue();
}
const attempts = async (conversationId: string) =>
  (await forbear.transcripts.read(conversationId)).flatMap((r) => (r.kind === 'decision' && r.payload.type === 'contact_attempt' ? [r.payload] : []));

describe('reminders through the contact gate', () => {
  it('reminds 3 and 1 days before the due date at 10:00 Shanghai time, into the Web Chat inbox', async () => {
    const a = await conclude(forbear, 'sched-1', 'cn-m1-wang', '2026-11-22');
    expect(a.offer.installment!.schedule[0]!.dueDate).toBe('2026-12-22');
    await at('2026-12-19T01:59:00Z');
    expect(await forbear.lifecycle.inbox.peek('cn-m1-wang')).toEqual([]);
    await at('2026-12-19T02:00:00Z');
    const inbox = await forbear.lifecycle.inbox.peek('cn-m1-wang');
    expect(inbox.map((m) => m.messageKey)).toEqual(['lifecycle.reminder']);
    expect(inbox[0]!.text).toContain('2026年12月22日');
    expect(inbox[0]!.text).toContain(a.reference);
    await at('2026-12-21T02:00:00Z');
    expect((await forbear.lifecycle.inbox.peek('cn-m1-wang')).length).toBe(2);
    expect(await attempts('sched-1')).toEqual([
      expect.objectContaining({ purpose: 'reminder', channel: 'directline', allowed: true, reason: null }),
      expect.objectContaining({ purpose: 'reminder', allowed: true }),
    ]);
    const metrics = await forbear.metrics.registry.getSingleMetricAsString('forbear_contacts_total');
    expect(metrics).toContain('forbear_contacts_total{channel="directline",decision="sent"} 2');
  });

  it('a reminder due in quiet hours waits for the morning; nothing is sent in between', async () => {
    await conclude(forbear, 'sched-2', 'cn-m1-wang', '2026-11-22');
    // 22:30 Shanghai on the reminder day: the 10:00 job is overdue (the process was down), the gate says not now.
    await at('2026-12-19T14:30:00Z');
    expect(await forbear.lifecycle.inbox.peek('cn-m1-wang')).toEqual([]);
    expect(await attempts('sched-2')).toEqual([expect.objectContaining({ allowed: false, reason: 'quiet_hours' })]);
    await at('2026-12-19T23:59:00Z');
    expect(await forbear.lifecycle.inbox.peek('cn-m1-wang')).toEqual([]);
    await at('2026-12-20T00:00:00Z'); // 08:00 Shanghai
    expect((await forbear.lifecycle.inbox.peek('cn-m1-wang')).length).toBe(1);
  });

  it('no reminder for an instalment already paid; none at all after stop-contact', async () => {
    const a = await conclude(forbear, 'sched-3', 'cn-m1-wang', '2026-11-22');
    const first = a.offer.installment!.schedule[0]!;
    await forbear.lifecycle.book.pay({ paymentId: 'p-early', accountId: 'cn-m1-wang', amountMinor: first.amountMinor, currency: 'CNY', paidAt: '2026-12-01T02:00:00Z' });
    await at('2026-12-21T02:00:00Z');
    expect(await forbear.lifecycle.inbox.peek('cn-m1-wang')).toEqual([]);
    // The cardholder asks to stop in a later conversation (verified, so it is attributed to the account).
    await forbear.transcripts.append('sched-3b', { kind: 'decision', actor: 'bot', at: now.toISOString(), payload: { type: 'verification', result: 'success', attempt: 1, accountId: 'cn-m1-wang' } });
    await forbear.transcripts.append('sched-3b', { kind: 'decision', actor: 'bot', at: now.toISOString(), payload: { type: 'stop_contact', source: 'cardholder', redactedText: '别再联系我' } });
    await at('2027-01-19T02:00:00Z');
    expect(await forbear.lifecycle.inbox.peek('cn-m1-wang')).toEqual([]);
    expect((await attempts('sched-3')).map((p) => p.reason)).toEqual(['stop_contact']);
    // Dropped, not rescheduled: nothing pending for that reminder any more.
    expect(contactQueue().pending().some((j) => j.id.endsWith(':reminder:2:3'))).toBe(false);
  });
});

describe('breach notices', () => {
  it('late, missed, catch-up and cancellation are told, each once, and the ledger records them', async () => {
    const a = await conclude(forbear, 'sched-4', 'cn-m2-li', '2026-11-22');
    const lines = a.offer.installment!.schedule;
    expect(lines.slice(0, 2).map((l) => l.dueDate)).toEqual(['2026-12-22', '2027-01-22']);
    await at('2026-12-22T02:00:00Z');
    await at('2026-12-23T02:00:00Z'); // late
    await at('2026-12-28T02:00:00Z'); // missed (grace 5 days), one more cancels
    await at('2027-01-28T02:00:00Z'); // the second missed: one catch-up window, 14 days
    await at('2027-02-11T02:00:00Z');
    await at('2027-02-12T02:00:00Z'); // cancelled
    // The weekly cap (3 in 7 days) also holds for notices: the last one waits until the cap frees up.
    await at('2027-02-20T02:00:00Z');
    const keys = (await forbear.lifecycle.inbox.peek('cn-m2-li')).map((m) => m.messageKey);
    expect(keys.filter((k) => k.startsWith('lifecycle.breach'))).toEqual([
      'lifecycle.breach.late',
      'lifecycle.breach.missed_left',
      'lifecycle.breach.catch_up',
      'lifecycle.breach.cancelled',
    ]);
    const all = await attempts('sched-4');
    const refusedBeforeSent = all.filter((p) => !p.allowed);
    expect(refusedBeforeSent.every((p) => p.reason === 'max_contacts')).toBe(true);
    const record = (await forbear.lifecycle.book.get(a.reference))!;
    expect(record.ledger.status).toBe('cancelled');
    expect(await forbear.lifecycle.book.activeReferences()).not.toContain(a.reference);
  });
});

describe('WeChat', () => {
  async function follower(conversationId: string, lastWroteAt: string) {
    await forbear.transcripts.append(conversationId, complete({ kind: 'activity', actor: 'cardholder', at: lastWroteAt, payload: { type: 'message', text: '你好' } }));
  }

  it('customer-service message inside the 48-hour window, template message outside it', async () => {
    await follower('wechat:o-inside', '2026-12-18T12:00:00Z');
    await conclude(forbear, 'wechat:o-inside', 'cn-m1-wang', '2026-11-22', 'wechat');
    await at('2026-12-19T02:00:00Z');
    expect(sent).toEqual([expect.objectContaining({ kind: 'text', openId: 'o-inside' })]);
    await at('2026-12-21T02:00:00Z');
    expect(sent.map((s) => s.kind)).toEqual(['text', 'template']);
  });

  it('the WeChat API going away delays the send; it goes out once when the API is back', async () => {
    await follower('wechat:o-down', '2026-12-18T12:00:00Z');
    await conclude(forbear, 'wechat:o-down', 'cn-m1-wang', '2026-11-22', 'wechat');
    wechatDown = true;
    await at('2026-12-19T02:00:00Z');
    await at('2026-12-19T02:01:00Z');
    expect(sent).toEqual([]);
    wechatDown = false;
    await at('2026-12-19T02:10:00Z');
    expect(sent).toHaveLength(1);
    await at('2026-12-19T04:00:00Z');
    expect(sent).toHaveLength(1);
    expect((await attempts('wechat:o-down')).filter((p) => p.allowed)).toHaveLength(1);
  });
});

describe('time zones', () => {
  it('New York reminders stay at 10:00 local across the March DST change', async () => {
    const a = await conclude(forbear, 'sched-us', 'us-m1-johnson', '2027-01-10');
    expect(a.offer.installment!.schedule.map((l) => l.dueDate).slice(0, 3)).toEqual(['2027-02-10', '2027-03-10', '2027-04-10']);
    // One contact is queued at a time; each, when it runs, queues the next: follow the chain,
    // paying each instalment after its last reminder (its nudge, already queued, then has nothing to say).
    expect(contactQueue().pending()).toHaveLength(1);
    const reminders: { runAt: Date }[] = [];
    for (let i = 0; i < 6; i++) {
      const pending = contactQueue().pending();
      expect(pending.length).toBeLessThanOrEqual(2);
      const job = pending.filter((j) => j.data.purpose === 'reminder').sort((x, y) => x.runAt.getTime() - y.runAt.getTime())[0]!;
      reminders.push(job);
      await at(job.runAt.toISOString());
      if (job.id.endsWith(':1')) {
        const line = a.offer.installment!.schedule[job.data.n - 1]!;
        await forbear.lifecycle.book.pay({ paymentId: `p-${job.data.n}`, accountId: 'us-m1-johnson', amountMinor: line.amountMinor, currency: 'USD', paidAt: now.toISOString() });
      }
    }
    expect((await forbear.lifecycle.inbox.peek('us-m1-johnson')).map((m) => m.messageKey)).toEqual(Array(6).fill('lifecycle.reminder'));
    const offsets = new Set<number>();
    for (const r of reminders) {
      const w = wallClock(r.runAt.getTime(), 'America/New_York');
      expect([w.hour, w.minute]).toEqual([10, 0]);
      offsets.add(r.runAt.getUTCHours());
    }
    // Both EST (15:00Z) and EDT (14:00Z) occur: 2027-03-14 lies between the reminders.
    expect([...offsets].sort()).toEqual([14, 15]);
  });
});
