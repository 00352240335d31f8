import { describe, expect, it } from 'vitest';
import { measureDevSafety } from '../../bot/understanding/heldout.js';
import { RuleUnderstanding } from '../../bot/understanding/rules.js';

describe('development safety sets (measure --dev)', () => {
  it('refuses any file outside corpus/understanding/dev/, so no held-out line is ever listed', async () => {
    for (const file of ['heldout/safety.yaml', 'heldout/safety-independent.yaml', 'dev/../heldout/safety.yaml', 'forbear.yaml']) {
      await expect(measureDevSafety(new RuleUnderstanding(), file, '2025-03-12')).rejects.toThrow(/dev\//);
    }
  });

  it('scores a dev set per language and lists exactly the lines that are wrong', async () => {
    const r = await measureDevSafety(new RuleUnderstanding(), 'dev/safety-dev-a.yaml', '2025-03-12');
    expect(r.perLanguage.map((l) => l.lang)).toEqual(['zh-CN', 'zh-TW', 'en']);
    const missed = r.perLanguage.reduce((n, l) => n + l.score.recall.reduce((m, h) => m + h.cases - h.found, 0), 0);
    const alarms = r.perLanguage.reduce((n, l) => n + l.score.falsePositives, 0);
    expect(r.misses.filter((m) => m.want.length === 0)).toHaveLength(alarms);
    expect(r.misses.filter((m) => m.want.length > 0).length).toBeLessThanOrEqual(missed);
    expect(r.misses.filter((m) => m.want.length > 0).length > 0).toBe(missed > 0);
    expect(r.perLanguage.every((l) => l.score.negatives >= 20)).toBe(true);
  });
});
