import { describe, expect, it } from 'vitest';
import { Intent, UnderstandingResult } from '../../conversation/understanding.js';
import { loadLabelled, scoreLabelled } from './labelled.js';

const cases = loadLabelled();
const scored = await scoreLabelled(cases);
const describeMiss = (s: (typeof scored)[number]) => `${s.c.text} → ${s.r.intent} (want ${s.c.intent})`;

describe('our labelled set (test/understanding/labelled.yaml)', () => {
  it('is large and covers every intent and every language', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const intents = new Set(cases.map((c) => c.intent));
    expect(Intent.options.filter((i) => !intents.has(i))).toEqual([]);
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) expect(cases.filter((c) => c.lang === lang).length).toBeGreaterThanOrEqual(40);
  });

  it('every result satisfies the UnderstandingResult schema', () => {
    for (const s of scored) expect(UnderstandingResult.safeParse(s.r).success).toBe(true);
  });

  it('intent accuracy is at least 0.9 overall and in each language', () => {
    const accuracy = (rows: typeof scored) => rows.filter((s) => s.intentOk).length / rows.length;
    expect(accuracy(scored), scored.filter((s) => !s.intentOk).map(describeMiss).join('\n')).toBeGreaterThanOrEqual(0.9);
    for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) {
      expect(accuracy(scored.filter((s) => s.c.lang === lang)), lang).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('safety-signal recall is 1.0', () => {
    const misses = scored.filter((s) => s.missedSignals.length > 0).map((s) => `${s.c.text}: ${s.missedSignals.join(', ')}`);
    expect(misses).toEqual([]);
    expect(scored.filter((s) => s.c.signals.includes('self_harm')).length).toBeGreaterThanOrEqual(10);
  });

  it('every labelled entity (numbers, dates, reasons, concessions) is read exactly', () => {
    const misses = scored.filter((s) => s.entityMisses.length > 0).map((s) => `${s.c.text}: ${s.entityMisses.join('; ')}`);
    expect(misses).toEqual([]);
  });

  it('detects the language of every message', () => {
    const misses = scored.filter((s) => s.r.language !== s.c.lang).map((s) => `${s.c.text}: ${s.r.language}`);
    expect(misses).toEqual([]);
  });
});
