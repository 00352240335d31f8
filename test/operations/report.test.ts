/**
 * The outcome report: the statistics it rests on, and — end to end through the real bot — figures
 * that match counts taken directly from the stored records.
 */
import { describe, expect, it } from 'vitest';
import { DemoAccountService } from '../../bot/accounts/demoAccountService.js';
import { fixedClock } from '../../conversation/clock.js';
import { reportOutput } from '../../bot/operations/cli.js';
import { buildReport, figures, isoWeek, ledgerOutcome, type ConversationFacts } from '../../bot/operations/report.js';
import { collectFacts } from '../../bot/operations/source.js';
import { normalQuantile, twoProportionTest } from '../../bot/operations/stats.js';
import { renderText } from '../../bot/operations/table.js';
import type { Experiment } from '../../bot/experiments/variant.js';
import { DEMO_ACCOUNTS } from '../../policy/demo-accounts.js';
import { applyPayment, assess, DEFAULT_BREACH, openLedger } from '../../policy/ledger.js';
import { loadPolicy } from '../../policy/load.js';
import { explain } from '../../policy/index.js';
import { harness } from '../dialogs/harness.js';

describe('two-proportion z-test', () => {
  it('matches the textbook figures (R: prop.test(c(50, 65), c(100, 100), correct = FALSE))', () => {
    const test = twoProportionTest({ successes: 50, trials: 100 }, { successes: 65, trials: 100 })!;
    expect(test.difference).toBeCloseTo(0.15, 10);
    expect(test.z).toBeCloseTo(2.1456, 3);
    expect(test.z ** 2).toBeCloseTo(4.6036, 3); // R's X-squared
    expect(test.pValue).toBeCloseTo(0.03189, 4);
    expect(test.interval[0]).toBeCloseTo(0.01456, 3);
    expect(test.interval[1]).toBeCloseTo(0.28544, 3);
    expect(test.significant).toBe(true);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('says when there is too little data, and copes with empty or identical groups', () => {
    expect(twoProportionTest({ successes: 1, trials: 3 }, { successes: 3, trials: 3 })!.significant).toBe(false);
    expect(twoProportionTest({ successes: 1, trials: 3 }, { successes: 3, trials: 3 })!.enoughData).toBe(false);
    expect(twoProportionTest({ successes: 0, trials: 0 }, { successes: 3, trials: 3 })).toBeNull();
    expect(twoProportionTest({ successes: 0, trials: 50 }, { successes: 0, trials: 50 })!.pValue).toBe(1);
  });
});

describe('report pieces', () => {
  it('names ISO weeks, including a year boundary', () => {
    expect(isoWeek('2026-11-30T10:00:00.000Z')).toBe('2026-W49');
    expect(isoWeek('2021-01-03T23:00:00.000Z')).toBe('2020-W53');
    expect(isoWeek('2024-12-30T00:00:00.000Z')).toBe('2025-W01');
  });

  it('takes kept and cure rates from the ledger: on schedule or completed is kept, completed is cured', () => {
    const policy = loadPolicy('default-cn');
    const account = DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m1-wang')!;
    const assessment = { asOf: '2026-01-05', hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 800_000, essentialExpensesMinor: 300_000, expectedDurationMonths: null, signals: [] };
    const offer = explain(policy, account, assessment).offers[0]!;
    const opened = openLedger('FB-2026-AAAA-BBBB', offer, '2026-01-05');
    expect(ledgerOutcome(opened)).toBe('pending');
    const first = opened.instalments[0]!;
    const paidFirst = applyPayment(opened, { paymentId: 'p1', amountMinor: first.amountMinor, paidOn: first.dueDate }, DEFAULT_BREACH).ledger;
    expect(ledgerOutcome(assess(paidFirst, first.dueDate, DEFAULT_BREACH).ledger)).toBe('on_schedule');
    const missed = assess(opened, opened.instalments[1]!.dueDate, DEFAULT_BREACH).ledger;
    expect(ledgerOutcome(missed)).toMatch(/missed|cancelled/);
    const total = opened.instalments.reduce((s, i) => s + i.amountMinor, 0);
    const done = applyPayment(opened, { paymentId: 'all', amountMinor: total, paidOn: first.dueDate }, DEFAULT_BREACH).ledger;
    expect(ledgerOutcome(done)).toBe('completed');

    const row = (ledger: ConversationFacts['ledger']): ConversationFacts => ({
      conversationId: 'c', startedAt: '2026-01-05T00:00:00.000Z', week: '2026-W02', language: 'zh-CN', channel: 'test', bucket: 'M1', variant: 'v', arm: 'champion', championId: 'default-cn',
      arrangement: 'FB-2026-AAAA-BBBB', ledger, secondsToAgreement: 60, concessionBps: null, handoffReason: null, feedbackAsked: false, satisfaction: null, fair: null,
    });
    const f = figures([row('completed'), row('on_schedule'), row('missed'), row('cancelled'), row('pending'), row(null)]);
    expect(f.keptRate).toBe(0.5);
    expect(f.cureRate).toBe(0.25);
    expect(figures([row(null)]).keptRate).toBeNull();

    // A challenger is compared only with the champion it took accounts from.
    const dealt = (variant: string, arm: 'champion' | 'challenger', championId: string, agreed: boolean): ConversationFacts => ({
      ...row(null), variant, arm, championId, bucket: 'M2', arrangement: agreed ? 'FB-2026-AAAA-BBBB' : null,
    });
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => dealt('champion default-cn@2026.2', 'champion', 'default-cn', i < 3)),
      ...Array.from({ length: 10 }, (_, i) => dealt('challenger default-cn@2026.3', 'challenger', 'default-cn', i < 6)),
      ...Array.from({ length: 10 }, (_, i) => dealt('champion default-us@2026.2', 'champion', 'default-us', i < 9)),
    ];
    const compared = buildReport(rows).comparisons;
    expect(compared.map((c) => [c.bucket, c.challenger, c.champion])).toEqual([['M2', 'challenger default-cn@2026.3', 'champion default-cn@2026.2']]);
    expect(compared[0]!.agreement).toMatchObject({ a: { successes: 3, trials: 10 }, b: { successes: 6, trials: 10 } });
  });
});

/** Raw stored records (JSON as kept, no schema in between) of every conversation. */
async function rawDecisions(store: Awaited<ReturnType<typeof harness>>['forbear']['transcripts'], ids: string[]) {
  const out = new Map<string, { kind: string; actor: string; at: string; payload: Record<string, unknown> }[]>();
  for (const id of ids) out.set(id, (await store.stored(id)).records as never);
  return out;
}

describe('the report against the stored records', () => {
  it('counts exactly what the records say, by variant, bucket, language and reason, with the significance readout', async () => {
    // Twelve M2 cardholders (copies of a demo account) and a challenger on half of M2.
    const base = DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m2-li')!;
    const accounts = Array.from({ length: 12 }, (_, i) => ({ ...base, accountId: `m2-${i}`, last4: String(7000 + i) }));
    const experiment: Experiment = { seed: 'report-test', challengers: [{ policy: loadPolicy('policy/challengers/default-cn-2026.3.yaml'), champion: 'default-cn', sharesBps: { M2: 5000 } }] };
    const clock = fixedClock('2026-11-22T02:00:00Z');
    const h = await harness({ experiment, clock, accounts: new DemoAccountService(clock, () => 'Asia/Shanghai', [...accounts, ...DEMO_ACCOUNTS]) });
    const ids: string[] = [];
    const talk = async (id: string, lines: string[], locale = 'zh-CN') => {
      ids.push(id);
      await h.open(id, { locale });
      for (const line of lines) await h.say(id, line);
    };
    const verify = (i: number) => [String(7000 + i), base.dateOfBirth];
    for (let i = 0; i < 12; i += 1) {
      if (i % 3 === 2) await talk(`handoff-${i}`, [...verify(i), '转人工']);
      else await talk(`agree-${i}`, ['我失业了', ...verify(i), '每月收入一万二', '开支四千', '对', '接受', '同意', i % 2 ? '5 很满意' : '2 不满意', '是，公平']);
    }
    await talk('crisis', ['我不想活了']);
    await talk('english', ['hello', '9012', '1990-04-18', 'I lost my job', '4000 a month', '1500', 'yes', 'accept', 'I agree', '4 Good', 'Not fairly'], 'en');
    await talk('silent', []);

    const { rows, unreadable } = await collectFacts(h.forbear.transcripts, { from: '2026-11-22', to: '2026-11-22' });
    expect(unreadable).toEqual([]);
    const report = buildReport(rows, { from: '2026-11-22', to: '2026-11-22' });

    // Direct counts from the stored JSON, without the report's code.
    const raw = await rawDecisions(h.forbear.transcripts, ids);
    const spoke = [...raw].filter(([, rs]) => rs.some((r) => r.kind === 'activity' && r.actor === 'cardholder' && r.payload['type'] === 'message'));
    const decision = (rs: { kind: string; payload: Record<string, unknown> }[], type: string) => rs.filter((r) => r.kind === 'decision' && r.payload['type'] === type).map((r) => r.payload);
    const variantOf = (rs: { kind: string; payload: Record<string, unknown> }[]) => {
      const v = decision(rs, 'variant')[0];
      return v ? `${v['arm']} ${v['policyId']}@${v['policyVersion']}` : 'none';
    };
    expect(report.overall.conversations).toBe(spoke.length);
    expect(spoke.length).toBe(14); // the silent one never wrote
    expect(report.overall.agreements).toBe(spoke.filter(([, rs]) => decision(rs, 'arrangement_created').length > 0).length);
    expect(report.overall.handoffs).toBe(spoke.filter(([, rs]) => decision(rs, 'handoff').length > 0).length);
    for (const [variant, f] of Object.entries(report.by.variant)) {
      const mine = spoke.filter(([, rs]) => variantOf(rs) === variant);
      expect(f.conversations, variant).toBe(mine.length);
      expect(f.agreements, variant).toBe(mine.filter(([, rs]) => decision(rs, 'arrangement_created').length > 0).length);
      const scores = mine.flatMap(([, rs]) => decision(rs, 'feedback').flatMap((d) => (d['satisfaction'] === null ? [] : [d['satisfaction'] as number])));
      expect(f.feedback.satisfactionCount, variant).toBe(scores.length);
      if (scores.length) expect(f.feedback.satisfactionMean, variant).toBeCloseTo(scores.reduce((s, x) => s + x, 0) / scores.length, 2);
    }
    const reasons: Record<string, number> = {};
    for (const [, rs] of spoke) {
      const first = decision(rs, 'handoff')[0];
      if (first) reasons[first['reason'] as string] = (reasons[first['reason'] as string] ?? 0) + 1;
    }
    expect(report.overall.handoffsByReason).toEqual(reasons);
    expect(reasons).toEqual({ request_human: 4, vulnerability: 1 });
    expect(Object.keys(report.by.variant).sort()).toEqual(['challenger default-cn@2026.3', 'champion default-cn@2026.2', 'champion default-us@2026.2', 'none']);
    expect(report.by.language['en']!.conversations).toBe(1);
    expect(report.by.bucket['unverified']!.conversations).toBe(1);
    expect(report.by.channel['test']!.conversations).toBe(14);
    expect(report.by.week['2026-W47']!.conversations).toBe(14);
    const fair = spoke.flatMap(([, rs]) => decision(rs, 'feedback').flatMap((d) => (d['fair'] === null ? [] : [d['fair']])));
    expect(report.overall.feedback.fairCount).toBe(fair.length);
    expect(report.overall.feedback.fairYes).toBe(fair.filter((x) => x === true).length);

    // Concessions: from the offer amounts the arrangement was made on.
    const cn = report.by.variant['champion default-cn@2026.2']!;
    expect(cn.concessionBps).not.toBeNull();
    expect(report.overall.timeToAgreement).not.toBeNull();

    // One comparison: challenger against champion in M2, with its readout.
    expect(report.comparisons).toHaveLength(1);
    expect(report.comparisons[0]).toMatchObject({ bucket: 'M2', champion: 'champion default-cn@2026.2', challenger: 'challenger default-cn@2026.3' });
    const m2 = report.comparisons[0]!.agreement!;
    expect(m2.a.trials + m2.b.trials).toBe(12);
    expect(renderText(report, 'variant', 'en')).toMatch(/M2: challenger default-cn@2026\.3 against champion default-cn@2026\.2 — agreement [\d.]+% vs [\d.]+% \(\d+ vs \d+ conversations\)/);

    // Kept and cure rates come from the ledger book: one arrangement paid in full is kept and cured;
    // the others have nothing due yet on this day, so they do not count either way.
    const paid = rows.find((r) => r.arrangement !== null && r.variant === 'champion default-us@2026.2')!;
    const ledger = (await h.forbear.lifecycle.book.get(paid.arrangement!))!.ledger;
    const total = ledger.instalments.reduce((s, i) => s + i.amountMinor, 0);
    const payment = await h.forbear.lifecycle.book.pay({ paymentId: 'report-test-1', reference: paid.arrangement!, accountId: 'us-m1-johnson', amountMinor: total, currency: 'USD', paidAt: '2026-11-22T03:00:00Z' });
    expect(payment.status).toBe('applied');
    const book = { get: async (reference: string) => (await h.forbear.lifecycle.book.get(reference))?.ledger ?? null };
    const withLedger = buildReport((await collectFacts(h.forbear.transcripts, { from: '2026-11-22', to: '2026-11-22' }, book)).rows);
    expect(withLedger.by.variant['champion default-us@2026.2']).toMatchObject({ keptRate: 1, cureRate: 1 });
    expect(withLedger.by.variant['champion default-cn@2026.2']).toMatchObject({ keptRate: null, cureRate: null });
    expect(withLedger.overall).toMatchObject({ keptRate: 1, cureRate: 1 });

    // The CLI prints the same figures.
    const json = JSON.parse(await reportOutput(h.forbear.transcripts, { from: '2026-11-22', to: '2026-11-22', by: 'variant', lang: 'en', json: true }));
    expect(json.overall).toEqual(JSON.parse(JSON.stringify(report.overall)));
    expect(json.by.variant).toEqual(JSON.parse(JSON.stringify(report.by.variant)));
    // Outside the range there is nothing.
    expect(JSON.parse(await reportOutput(h.forbear.transcripts, { from: '2026-11-23', to: '2026-11-30', by: 'variant', lang: 'en', json: true })).overall.conversations).toBe(0);
    await h.forbear.close();
  });
});
