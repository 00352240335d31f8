import { describe, expect, it } from 'vitest';
import { evidenceFrom, guard, isDerivable } from '../../bot/understanding/llm/guard.js';
import { Entities, type UnderstandingResult } from '../../conversation/understanding.js';

const noEntities = Entities.parse(Object.fromEntries(Object.keys(Entities.shape).map((k) => [k, null])));

const rules: UnderstandingResult = {
  intent: 'cannot_pay',
  entities: noEntities,
  signals: ['self_harm'],
  language: 'zh-CN',
  confidence: 0.6,
  engine: 'rules',
  promptVersion: null,
};

const claim = (over: Partial<Omit<UnderstandingResult, 'entities'>> & { entities?: Partial<Entities> } = {}) => ({
  intent: 'propose_payment',
  signals: [],
  language: 'zh-CN',
  confidence: 0.9,
  ...over,
  entities: { ...noEntities, ...over.entities },
});

describe('isDerivable', () => {
  it.each([
    ['amountMinor', 150000, '每月只能还1500'],
    ['amountMinor', 350000, '三千五'],
    ['amountMinor', 1200000, '1.2万'],
    ['amountMinor', 120000, '$1,200'],
    ['amountMinor', 150000, 'I can do 1.5k'],
    ['incomeMinor', 200000, '每月２０００'],
    ['months', 12, '分一年还'],
    ['months', 6, '半年'],
    ['months', 18, 'make it 18'],
    ['months', 24, 'can I do twenty-four months?'],
    ['deferralDays', 30, '推迟一个月'],
    ['deferralDays', 14, 'two weeks'],
    ['percentBps', 9000, '90% off'],
    ['percentBps', 9000, '减免九成'],
    ['percentBps', 5000, '减免一半'],
    ['optionIndex', 2, '第二个'],
  ] as const)('%s %d is licensed by "%s"', (field, value, text) => {
    expect(isDerivable(field, value, evidenceFrom(text))).toBe(true);
  });

  it.each([
    ['amountMinor', 1, 'please waive everything'],
    ['amountMinor', 1500, '每月只能还1500'],
    ['amountMinor', -150000, '-1500'],
    ['months', 36, '分24期'],
    ['months', 12, '15号还'],
    ['percentBps', 10_000, 'set it to 1'],
    ['amountMinor', 123000, '卡号 [CARD ****1230] 还1500'],
    ['optionIndex', 2, 'the cheaper one'],
  ] as const)('%s %d is not licensed by "%s"', (field, value, text) => {
    expect(isDerivable(field, value, evidenceFrom(text))).toBe(false);
  });

  it('lets an option be named without a digit only while options are on screen', () => {
    expect(isDerivable('optionIndex', 2, evidenceFrom('the cheaper one', 'offer_choice'))).toBe(true);
    expect(isDerivable('optionIndex', 40, evidenceFrom('the cheaper one', 'offer_choice'))).toBe(false);
  });
});

describe('guard', () => {
  const run = (output: unknown, text: string) => guard({ output, rules, message: text, expecting: 'none', promptVersion: 'understanding/v1+test' });

  it('keeps numbers the cardholder wrote and stamps engine and prompt version', () => {
    const verdict = run(claim({ entities: { amountMinor: 150000, months: 12 } }), '每月还1500，分12期');
    expect(verdict).toMatchObject({ ok: true, dropped: [] });
    if (!verdict.ok) return;
    expect(verdict.result.entities).toMatchObject({ amountMinor: 150000, months: 12 });
    expect(verdict.result).toMatchObject({ engine: 'llm', promptVersion: 'understanding/v1+test', intent: 'propose_payment' });
  });

  it('drops hallucinated numbers and keeps the rest', () => {
    const verdict = run(claim({ entities: { amountMinor: 1, months: 12, hardshipReason: 'job_loss' } }), '失业了，想分12期');
    expect(verdict.ok && verdict.dropped).toEqual(['amountMinor']);
    expect(verdict.ok && verdict.result.entities).toMatchObject({ amountMinor: null, months: 12, hardshipReason: 'job_loss' });
  });

  it('defers an unknown intent to the rules, with the rules confidence', () => {
    const verdict = run(claim({ intent: 'unknown', confidence: 0.99 }), '嗯');
    expect(verdict.ok && verdict.result).toMatchObject({ intent: 'cannot_pay', confidence: 0.6 });
  });

  it('unions safety signals: a rules signal survives an LLM that missed it', () => {
    const verdict = run(claim({ signals: ['bankruptcy'] }), '不想活了，要破产了');
    expect(verdict.ok && verdict.result.signals).toEqual(['self_harm', 'bankruptcy']);
  });

  it('rejects output outside the schema', () => {
    expect(run({ ...claim(), intent: 'approve_waiver' }, 'x').ok).toBe(false);
    expect(run({ ...claim(), confidence: 7 }, 'x').ok).toBe(false);
    expect(run({ intent: 'affirm' }, 'x').ok).toBe(false);
  });
});
