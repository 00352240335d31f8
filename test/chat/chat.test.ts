/** `npm run chat -- --json` as a script would drive it: lines in, one JSON object per line out. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function chat(args: string[], input: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bot/chat.ts', ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
}

describe('npm run chat -- --json', () => {
  it('negotiates to an agreement and reports structured events with minor units and rule ids', () => {
    const run = chat(['--json', '--lang', 'en'], ['9012', '1990-04-18', 'I lost my job', 'I make 4000 a month', 'rent and food 1500', 'yes', 'Accept', 'I agree', ''].join('\n'));
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; name?: string; text?: string; value?: any });
    expect(lines[0]).toEqual({ type: 'message', text: expect.stringMatching(/automated assistant/) });
    const named = (name: string) => lines.filter((l) => l.type === 'event' && l.name === name);
    expect(named('verified')[0]?.value).toMatchObject({ accountId: 'us-m1-johnson' });
    const offer = named('offer')[0]?.value;
    expect(offer).toMatchObject({ policyId: 'default-us', currency: 'USD', offer: { authority: 'bot' } });
    expect(Number.isInteger(offer.offer.installment.monthlyPaymentMinor)).toBe(true);
    expect(offer.offer.ruleIds[0]).toMatch(/^default-us@/);
    const agreement = named('agreement');
    expect(agreement).toHaveLength(1);
    expect(agreement[0]?.value).toMatchObject({ reference: expect.stringMatching(/^FB-/), policyId: 'default-us', offer: { offerId: offer.offer.offerId } });
  });

  it('exits 2 naming the bad option', () => {
    const run = chat(['--lang', 'fr'], '');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--lang/);
  });
});
