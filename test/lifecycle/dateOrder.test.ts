/**
 * What is sent after the agreement writes dates the way the conversation did: an English cardholder
 * who wrote their date of birth month-first (04/18/1990) gets month-first dates in the reminders and
 * in the agreement document, one who wrote day-first gets day-first promise checks, and Chinese
 * conversations get 2026年12月22日. The order is recorded with the arrangement (and the promise), so
 * the scheduler, running long after the conversation, needs nothing else.
 */
import type { Activity } from 'botbuilder';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createForbear, type Forbear } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { renderAgreement } from '../../bot/lifecycle/document.js';
import type { MemoryJobQueue } from '../../bot/lifecycle/jobs.js';
import type { ContactJob } from '../../bot/lifecycle/scheduler.js';
import { loadPolicy } from '../../policy/load.js';

let now: Date;
const clock = { now: () => now };
let forbear: Forbear;
let adapter: LocalAdapter;

beforeEach(async () => {
  now = new Date('2026-11-22T02:00:00Z');
  forbear = await createForbear({ config: loadConfig({ LOG_LEVEL: 'silent', LEDGER_ASSESS_INTERVAL_MIN: '0' }), clock, logger: createLogger('silent') });
  forbear.lifecycle.start({});
  adapter = new LocalAdapter(forbear.bot, 'test');
  adapter.use(forbear.transcriptMiddleware);
});
afterEach(() => forbear.close());

async function converse(conversationId: string, locale: string, lines: string[]): Promise<string[]> {
  await adapter.join(conversationId, { locale });
  let said: Partial<Activity>[] = [];
  for (const text of lines) said = await adapter.send(conversationId, { text, locale });
  return said.filter((a) => a.type === 'message').map((a) => a.text ?? '');
}

async function at(iso: string) {
  now = new Date(iso);
  await forbear.lifecycle.book.assessAll();
  await (forbear.lifecycle.queues.contact as MemoryJobQueue<ContactJob>).runDue();
}

const inboxTexts = async (accountId: string) => (await forbear.lifecycle.inbox.peek(accountId)).map((m) => m.text);

async function document(conversationId: string): Promise<string> {
  const [a] = await forbear.stores.arrangements.listByConversation(conversationId);
  const policy = loadPolicy(a!.policyId);
  return renderAgreement(a!, policy, policy.currency, null);
}

const EN_AGREEMENT = ["hi, I lost my job and can't pay this month", '9012', '04/18/1990', 'I make about $4,000 a month', 'rent and food are 1.5k', "yes that's right", 'Accept', 'I agree'];

describe('dates after the agreement, in the conversation’s order', () => {
  it('English, month-first date of birth: the reminder and the agreement document say 12/21/2026', async () => {
    const said = await converse('dates-en', 'en', EN_AGREEMENT);
    expect(said.join('\n')).toContain('12/21/2026');
    const [a] = await forbear.stores.arrangements.listByConversation('dates-en');
    expect(a!.dateStyle).toBe('mdy');
    expect(a!.offer.installment!.schedule[0]!.dueDate).toBe('2026-12-21');

    const html = await document('dates-en');
    expect(html).toContain('<td>12/21/2026</td>');
    expect(html).not.toMatch(/<td>\d{4}-\d{2}-\d{2}<\/td>/);

    // Three days before, 10:00 New York time.
    await at('2026-12-18T15:00:00Z');
    const reminders = await inboxTexts('us-m1-johnson');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain('12/21/2026');
    expect(reminders[0]).not.toContain('2026-12-21');
  });

  it('English, day-first date of birth: the promise check says 27/11/2026', async () => {
    now = new Date('2026-11-23T16:00:00Z');
    const said = await converse('dates-en-dmy', 'en', ['9012', '18/04/1990', 'I will pay this Friday']);
    expect(said.join('\n')).toContain('27/11/2026');
    // The check runs the policy's day after the promised date, at 10:00 New York time: the account's
    // policy, though no arrangement names it.
    await at('2026-11-28T15:00:00Z');
    const checks = (await forbear.lifecycle.inbox.peek('us-m1-johnson')).filter((m) => m.messageKey === 'lifecycle.promise_check');
    expect(checks).toHaveLength(1);
    expect(checks[0]!.text).toContain('27/11/2026');
  });

  it('Chinese: the reminder and the agreement document say 2026年12月22日', async () => {
    await converse('dates-zh', 'zh-CN', ['我失业了', '4821', '1988-03-14', '每月八千', '房租和生活费三千', '对', '接受', '同意']);
    const html = await document('dates-zh');
    expect(html).toContain('<td>2026年12月22日</td>');
    await at('2026-12-19T02:00:00Z');
    const reminders = await inboxTexts('cn-m1-wang');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain('2026年12月22日');
  });
});
