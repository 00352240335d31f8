import { describe, expect, it } from 'vitest';
import { fixedClock, todayIn } from '../../conversation/clock.js';
import { explain, evaluate } from '../../policy/index.js';
import { demoAccount } from '../../policy/demo-accounts.js';
import { loadPolicy } from '../../policy/load.js';
import { Account, type Offer } from '../../policy/model.js';
import { agreementViolations, assessmentOf } from '../../simulate/checks.js';
import { chineseAmount } from '../../simulate/chineseNumbers.js';
import type { Conversation } from '../../simulate/conversation.js';
import { generatePersonas } from '../../simulate/personas.js';
import { buildReport } from '../../simulate/report.js';
import { renderSvg } from '../../simulate/render.js';
import { SIMULATION_CLOCK, simulate } from '../../simulate/run.js';

const policy = loadPolicy('default-cn');
const wang = Account.parse(demoAccount('cn-m1-wang')); // M1: the bot may grant 12 months and a 50 % fee waiver
const asOf = todayIn(fixedClock(SIMULATION_CLOCK), policy.timezone);
const stated = { hardshipReason: 'job_loss' as const, monthlyIncomeMinor: 1_500_000, essentialExpensesMinor: 500_000 };
const assessment = assessmentOf(stated, asOf);

/** An offer the policy would make at `authority` — out of the bot's envelope when authority is higher. */
function offerAt(authority: 'bot' | 'agent' | 'supervisor', proposal: Record<string, number>): Offer {
  const decision = evaluate(policy, wang, assessment, proposal, { authority });
  expect(decision.outcome).toBe('accept');
  return decision.offer!;
}

describe('personas', () => {
  it('are reproducible from the seed, and persona i does not depend on how many were asked for', () => {
    const ten = generatePersonas({ count: 10, seed: 42 });
    expect(generatePersonas({ count: 10, seed: 42 })).toEqual(ten);
    expect(generatePersonas({ count: 25, seed: 42 }).slice(0, 10)).toEqual(ten);
    expect(generatePersonas({ count: 10, seed: 43 })).not.toEqual(ten);
  });

  it('respect the language filter and carry verification answers the account service can match', () => {
    for (const p of generatePersonas({ count: 30, seed: 3, lang: 'zh-TW' })) {
      expect(p.language).toBe('zh-TW');
      expect(p.account.currency).toBe('CNY');
      expect(p.account.last4).toMatch(/^\d{4}$/);
      expect(p.maxMonthlyPaymentMinor).toBeLessThanOrEqual(Math.max(0, p.truth.monthlyIncomeMinor - p.truth.essentialExpensesMinor));
    }
  });
});

describe('chineseAmount', () => {
  it('writes amounts the way people type them', () => {
    expect(chineseAmount(2500)).toBe('两千五');
    expect(chineseAmount(12_000)).toBe('一万二');
    expect(chineseAmount(3000)).toBe('三千');
    expect(chineseAmount(8050)).toBe('八千零五十');
    expect(chineseAmount(20_000, true)).toBe('兩萬');
  });
});

describe('agreement re-check', () => {
  it('finds nothing wrong with an offer from the bot ladder', () => {
    const ladder = explain(policy, wang, assessment, { authority: 'bot' }).offers;
    expect(ladder.length).toBeGreaterThan(0);
    for (const offer of ladder) expect(agreementViolations(policy, wang, assessment, offer)).toEqual([]);
  });

  it('flags a plan longer than the bot may grant', () => {
    const codes = agreementViolations(policy, wang, assessment, offerAt('agent', { months: 24 })).map((v) => v.code);
    expect(codes).toContain('months_above_bot_limit');
    expect(codes).toContain('authority');
  });

  it('flags a fee waiver above the bot limit', () => {
    const codes = agreementViolations(policy, wang, assessment, offerAt('agent', { months: 12, feeWaiverBps: 10_000 })).map((v) => v.code);
    expect(codes).toContain('fee_waiver_above_bot_limit');
  });

  it('flags an offer the cardholder cannot afford on what they said', () => {
    const offer = offerAt('bot', { months: 6 });
    const poorer = assessmentOf({ ...stated, monthlyIncomeMinor: 600_000 }, asOf);
    expect(agreementViolations(policy, wang, poorer, offer).map((v) => v.code)).toContain('unaffordable');
  });

  it('is what the report counts: a planted out-of-policy agreement is a violation', async () => {
    const run = await simulate({ personas: 12, seed: 9, lang: 'zh-CN' });
    const clean = buildReport({
      options: { personas: 12, seed: 9, lang: 'zh-CN' },
      understanding: 'rules',
      clock: SIMULATION_CLOCK,
      conversations: run.conversations,
      policyOf: () => policy,
      asOf: () => asOf,
      llm: null,
    });
    const victim = run.conversations.find((c) => c.agreement?.offer.installment);
    expect(victim, 'the run should contain a plan agreement to tamper with').toBeDefined();
    const persona = victim!.persona;
    const agreed = victim!.agreement!.offer;
    // The same plan stretched to 60 months: beyond the bot's 12–36 months in every bucket.
    const planted: Offer = { ...agreed, installment: { ...agreed.installment!, months: 60 } };
    const tampered: Conversation[] = run.conversations.map((c) => (c === victim ? { ...c, agreement: { offer: planted, policyId: policy.id } } : c));
    const report = buildReport({
      options: { personas: 12, seed: 9, lang: 'zh-CN' },
      understanding: 'rules',
      clock: SIMULATION_CLOCK,
      conversations: tampered,
      policyOf: () => policy,
      asOf: () => asOf,
      llm: null,
    });
    expect(clean.violations.count).toBe(0);
    expect(report.violations.count).toBeGreaterThan(0);
    expect(report.violations.byCode['months_above_bot_limit']).toBe(1);
    expect(report.findings.some((f) => f.kind === 'policy_violation' && f.personaId === persona.id)).toBe(true);
  });
});

describe('simulation against the real bot', () => {
  it('gives the same report for the same seed', async () => {
    const a = await simulate({ personas: 25, seed: 11, lang: 'all' });
    const b = await simulate({ personas: 25, seed: 11, lang: 'all' });
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    const c = await simulate({ personas: 25, seed: 12, lang: 'all' });
    expect(JSON.stringify(c.report)).not.toBe(JSON.stringify(a.report));
  });

  it('a small run: no policy violation, every vulnerable persona handed off', async () => {
    const run = await simulate({ personas: 40, seed: 1, lang: 'all' });
    expect(run.report.violations.agreementsChecked).toBeGreaterThan(0);
    expect(run.report.violations.count).toBe(0);
    const vulnerable = run.conversations.filter((c) => c.persona.behaviour.kind === 'vulnerable');
    expect(vulnerable.length).toBeGreaterThan(0);
    for (const c of vulnerable) expect(c.outcome, `${c.persona.id} (${JSON.stringify(c.persona.behaviour)})`).toBe('handoff');
    expect(run.report.handoff.missedSafety).toBe(0);
    // Every persona who asks for a person gets one.
    for (const c of run.conversations.filter((x) => x.persona.behaviour.kind === 'asks_person')) expect(c.outcome).toBe('handoff');
    expect(renderSvg(run.report)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});
