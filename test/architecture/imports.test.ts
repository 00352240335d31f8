/**
 * The import rules in `.dependency-cruiser.cjs` hold: no cycle, `policy/` imports nothing of the
 * product, `conversation/` and `dialogs/` import nothing of the shell, and the product reaches the
 * policy only through `policy/index.ts`. A forbidden import anywhere fails this test with the
 * offending arrow named.
 */
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const LAYERS = ['bot', 'conversation', 'dialogs', 'policy', 'prompts', 'simulate', 'bench'];

describe('import rules', () => {
  it('no cycle, no arrow from policy/, conversation/ or dialogs/ into the shell, policy/ only through its index', async () => {
    const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
    const tsConfig = extractTSConfig('tsconfig.json');
    const { output } = await cruise(LAYERS, options, {}, { tsConfig });
    const result = output as ICruiseResult;
    const violations = result.summary.violations.map((v) =>
      [v.rule.name, v.from, v.to, ...(v.cycle ?? []).map((c) => c.name)].join(' → '),
    );
    expect(violations).toEqual([]);
    // The rules saw the whole product (a mis-resolved tree would pass vacuously).
    expect(result.modules.filter((m) => /^(conversation|dialogs|policy)\//.test(m.source)).length).toBeGreaterThan(30);
    expect(result.modules.find((m) => m.source === 'dialogs/caseDialog.ts')?.dependencies.some((d) => d.resolved === 'conversation/case.ts')).toBe(true);
  });
});
