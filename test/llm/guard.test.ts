import { describe, expect, it } from 'vitest';
import { guard, isDerivable } from '../../bot/understanding/llm/guard.js';
import { mentionedNumbers, parseHanNumber } from '../../bot/understanding/llm/mentioned.js';
import { Entities, type UnderstandingResult } from '../../bot/understanding/schema.js';

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

const claim = (over: Partial<UnderstandingResult> & { entities?: Partial<Entities> } = {}) => ({
  intent: 'propose_payment',
  signals: [],
  language: 'zh-CN',
  confidence: 0.9,
  ...over,
  entities: { ...noEntities, ...over.entities },
});

describe('mentionedNumbers', () => {
  it.each([
    ['每月只能还1500', 1500],
    ['3,500', 3500],
    ['三千五', 3500],
    ['两万', 20000],
    ['一万二', 12000],
    ['5千', 5000],
    ['1.2万', 12000],
    ['每月两千', 2000],
    ['分12期', 12],
    ['$1,200', 1200],
    ['1.5k', 1500],
    ['make it 18', 18],
    ['十八期', 18],
    ['第二个', 2],
    ['the second option', 2],
    ['twenty-four months', 24],
    ['two thousand a month', 2000],
    ['一年半', 1.5],
    ['每月２０００', 2000],
  ])('%s mentions %d', (text, n) => {
    expect(mentionedNumbers(text).has(n)).toBe(true);
  });

  it('does not read digits inside redaction placeholders', () => {
    const found = mentionedNumbers('卡号 [CARD ****4321] 电话 [PHONE]');
    expect(found.has(4321)).toBe(false);
  });

  it('reads Chinese numerals with explicit zeros and digit strings', () => {
    expect(parseHanNumber('三千零五')).toBe(3005);
    expect(parseHanNumber('一千二百三十四')).toBe(1234);
    expect(parseHanNumber('二〇二五')).toBe(2025);
  });
});

describe('isDerivable', () => {
  const m = (text: string) => mentionedNumbers(text);
  it('accepts unit conversions of written numbers', () => {
    expect(isDerivable('amountMinor', 150000, m('每月只能还1500'))).toBe(true);
    expect(isDerivable('months', 12, m('分一年还'))).toBe(true);
    expect(isDerivable('months', 6, m('半年'))).toBe(true);
    expect(isDerivable('deferralDays', 30, m('推迟一个月'))).toBe(true);
    expect(isDerivable('deferralDays', 14, m('two weeks'))).toBe(true);
    expect(isDerivable('percentBps', 9000, m('90% off'))).toBe(true);
    expect(isDerivable('percentBps', 5000, m('减免一半'))).toBe(true);
  });
  it('rejects numbers the text does not contain, negatives and wrong units', () => {
    expect(isDerivable('amountMinor', 1, m('please waive everything'))).toBe(false);
    expect(isDerivable('amountMinor', 1500, m('每月只能还1500'))).toBe(false);
    expect(isDerivable('amountMinor', -150000, m('-1500'))).toBe(false);
    expect(isDerivable('months', 36, m('分24期'))).toBe(false);
  });
});

describe('guard', () => {
  const run = (output: unknown, text: string) => guard({ output, rules, mentioned: mentionedNumbers(text), promptVersion: 'understanding/v1+test' });

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
