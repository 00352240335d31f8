/**
 * The policy CLI as a risk team runs it: real files, real exit codes. Each case runs the command
 * in-process (policyCommand, the function the CLI runs on the process's streams); one case starts
 * the real process to check that wiring.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { policyCommand } from '../../policy/command.js';
import { Decision, Explanation } from '../../policy/model.js';
import { account, assessment, policyDoc } from './fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'forbear-policy-cli-'));

function spawned(args: string[], stdin = '') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'policy/cli.ts', ...args], { cwd: ROOT, input: stdin, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function run(args: string[], stdin = '') {
  const r = { code: -1, stdout: '', stderr: '' };
  r.code = await policyCommand(args, { stdin: async () => stdin, stdout: (t) => (r.stdout += t), stderr: (t) => (r.stderr += t) });
  return r;
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('policy CLI', () => {
  // Two real processes; on a busy CI machine that is seconds, not milliseconds.
  it('runs as a process: output on its streams, exit 0 and 2', { timeout: 120_000 }, () => {
    const ok = spawned(['validate', 'policy/policies/default-cn.yaml']);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('ok: default-cn@2026.2');
    const input = { account: account(), assessment: assessment(), proposal: { months: 'twelve' } };
    const bad = spawned(['evaluate', '--policy', 'default-cn'], JSON.stringify(input));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('months');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('validates the bundled policies', async () => {
    const r = await run(['validate', 'policy/policies/default-cn.yaml']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('ok: default-cn@2026.2');
    expect(JSON.parse((await run(['validate', 'policy/policies/default-us.yaml', '--json'])).stdout)).toMatchObject({ ok: true, id: 'default-us' });
  });

  it('refuses a bad policy file with exit 2 and every offending path', async () => {
    const doc: Record<string, any> = policyDoc();
    doc.currency = 'yuan';
    doc.buckets.M2.minDaysPastDue = 40;
    doc.buckets.M3.bot.installment.maxMonths = 99;
    doc.buckets.M1.agent.feeWaiverMaxBps = 0;
    doc.contact.maxBotContactsPer7Days = -1;
    const r = await run(['validate', file('bad.yaml', stringify(doc)), '--json']);
    expect(r.code).toBe(2);
    const paths = (JSON.parse(r.stdout) as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['currency', 'buckets.M3.bot.installment.maxMonths', 'contact.maxBotContactsPer7Days']));
    expect(r.stderr).toContain('currency');
    // Cross-field rules are checked once the shapes are right, and reported together.
    const shaped: Record<string, any> = policyDoc();
    shaped.buckets.M2.minDaysPastDue = 40;
    shaped.buckets.M1.agent.feeWaiverMaxBps = 0;
    const r2 = await run(['validate', file('gap.yaml', stringify(shaped))]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('buckets.M2.minDaysPastDue');
    expect(r2.stderr).toContain('buckets.M1.agent.feeWaiverMaxBps');
  });

  it('refuses unparseable YAML and a missing file with exit 2', async () => {
    expect((await run(['validate', file('broken.yaml', 'id: [unclosed\n')])).code).toBe(2);
    const missing = await run(['validate', path.join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such policy file');
  });

  it('prints the JSON Schema', async () => {
    const r = await run(['schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'object', properties: { buckets: { type: 'object' } } });
  });

  it('explains a demo account as a table and as JSON', async () => {
    const args = ['explain', '--policy', 'default-cn', '--account', 'cn-m2-li', '--income', '1200000', '--expenses', '400000', '--reason', 'job_loss', '--as-of', '2026-01-31'];
    const table = await run(args);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('bucket M2');
    expect(table.stdout).toMatch(/installment-\d+\s+bot/);
    const json = Explanation.parse(JSON.parse((await run([...args, '--json'])).stdout));
    expect(json.offers.length).toBeGreaterThan(0);
    expect(json.envelope.affordability.maxMonthlyPaymentMinor).toBe(400_000);
  });

  it('explains an account file and rejects a bad one naming the field', async () => {
    const good = await run(['explain', '--policy', 'default-cn', '--account', file('acc.json', JSON.stringify(account())), '--as-of', '2026-01-31', '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).reasons[0].code).toBe('affordability_unknown');
    const bad = await run(['explain', '--policy', 'default-cn', '--account', file('bad.json', JSON.stringify({ ...account(), daysPastDue: 'x' })), '--as-of', '2026-01-31']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('daysPastDue');
  });

  it('evaluates a proposal read from stdin', async () => {
    const input = { account: account(), assessment: assessment(), proposal: { months: 12 } };
    const r = await run(['evaluate', '--policy', 'default-cn', '--json'], JSON.stringify(input));
    expect(r.code).toBe(0);
    const d = Decision.parse(JSON.parse(r.stdout));
    expect(d.outcome).toBe('accept');
    expect(d.policyId).toBe('default-cn');
    const table = await run(['evaluate', '--policy', 'default-cn'], JSON.stringify(input));
    expect(table.stdout).toContain('ACCEPT');
  });

  it('answers bad JSON and bad fields on stdin with exit 2', async () => {
    expect((await run(['evaluate', '--policy', 'default-cn'], '{not json')).code).toBe(2);
    const field = await run(['evaluate', '--policy', 'default-cn'], JSON.stringify({ account: account(), assessment: assessment(), proposal: { months: 'twelve' } }));
    expect(field.code).toBe(2);
    expect(field.stderr).toContain('proposal');
    expect(field.stderr).toContain('months');
    const extra = await run(['evaluate', '--policy', 'default-cn'], JSON.stringify({ account: account(), assessment: assessment(), proposal: {}, note: 1 }));
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('note');
  });

  it('answers unknown flags, commands and bad flag values with exit 2', async () => {
    const unknown = await run(['explain', '--policy', 'default-cn', '--acount', 'cn-m2-li']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--acount');
    expect((await run(['explain', '--policy', 'default-cn', '--account', 'cn-m2-li', '--income', '12.5'])).stderr).toContain('--income');
    expect((await run(['explain', '--policy', 'default-cn', '--account', 'cn-m2-li', '--authority', 'ceo'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['explain', '--policy', 'no-such-policy', '--account', 'cn-m2-li'])).code).toBe(2);
  });
});
