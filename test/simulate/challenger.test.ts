/** `npm run simulate -- --challenger FILE`: the same personas through both variants, the dashboard's table. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../bot/config.js';
import { challengerEverywhere } from '../../bot/experiments/config.js';
import { buildReport } from '../../bot/operations/report.js';
import { renderText } from '../../bot/operations/table.js';
import { loadPolicy } from '../../policy/index.js';
import { simulate } from '../../simulate/run.js';

const CHALLENGER = 'policy/challengers/default-cn-2026.3.yaml';

describe('simulating a challenger', () => {
  it('runs the same personas on both variants, checks each against its own policy, and reads like the dashboard', async () => {
    const experiment = challengerEverywhere(CHALLENGER, 'default-cn', (id) => loadPolicy(id));
    const options = { personas: 40, seed: 7, lang: 'zh-CN' as const };
    const champion = await simulate(options);
    const challenger = await simulate({ ...options, experiment });
    // Same personas: every conversation of the first run has its twin in the second.
    expect(challenger.conversations.map((c) => c.persona.id)).toEqual(champion.conversations.map((c) => c.persona.id));
    const verified = challenger.outcomes.filter((o) => o.arm !== null);
    expect(verified.length).toBeGreaterThan(20);
    expect(verified.every((o) => o.variant === 'challenger default-cn@2026.3')).toBe(true);
    expect(champion.outcomes.filter((o) => o.arm !== null).every((o) => o.variant === 'champion default-cn@2026.2')).toBe(true);
    // The independent re-check holds each agreement to the variant's own envelope.
    expect(champion.report.violations.count).toBe(0);
    expect(challenger.report.violations.count).toBe(0);
    expect(challenger.report.handoff.missedSafety).toBe(0);

    const report = buildReport([...champion.outcomes, ...challenger.outcomes.filter((o) => o.arm === 'challenger')]);
    expect(report.by.variant['challenger default-cn@2026.3']!.conversations).toBe(report.by.variant['champion default-cn@2026.2']!.conversations);
    const text = renderText(report, 'variant', 'en');
    expect(text).toMatch(/challenger default-cn@2026\.3 +\d+ +[\d.]+% \(\d+\)/);
    expect(text).toMatch(/M2: challenger default-cn@2026\.3 against champion default-cn@2026\.2 — agreement/);
  });

  it('refuses a challenger that is the champion, in another currency, or not a valid policy', () => {
    expect(() => challengerEverywhere('default-cn', 'default-cn', (id) => loadPolicy(id))).toThrow(ConfigError);
    expect(() => challengerEverywhere(CHALLENGER, 'default-us', (id) => loadPolicy(id))).toThrow(/currency CNY differs from default-us's USD/);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'simulate/cli.ts', '--challenger', 'no-such.yaml'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^simulate: no-such\.yaml is invalid/);
  });
});
