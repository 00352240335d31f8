/**
 * The policy CLI's commands (validate, schema, explain, evaluate), run by `policy/cli.ts` on the
 * process's streams and by the tests in-process.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEMO_ACCOUNTS, demoAccount } from './demo-accounts.js';
import { InputError, parseInput } from './errors.js';
import { evaluate, explain } from './index.js';
import { loadPolicy } from './load.js';
import { AuthorityLevel, HardshipReason, Signal, type AuthorityLimits, type Decision, type Explanation, type Offer } from './model.js';
import { policyJsonSchema, type Policy } from './schema.js';

const USAGE = `usage: npm run -s policy -- <command> [options]

  validate <file>                       check a policy file; every problem is listed
  schema                                print the policy file's JSON Schema
  explain --policy <id|file> --account <file|demo id>
          [--income N] [--expenses N]   monthly, in minor units (分/cents)
          [--reason R] [--as-of YYYY-MM-DD] [--authority bot|agent|supervisor] [--signal S]...
  evaluate --policy <id|file> [--authority L]   reads {account, assessment, proposal} JSON on stdin

  --json   machine-readable output
demo accounts: ${DEMO_ACCOUNTS.map((a) => a.accountId).join(', ')}`;

class UsageError extends Error {}

const integer = (flag: string) =>
  z
    .string()
    .regex(/^\d+$/, `--${flag} must be a whole number of minor units`)
    .transform(Number)
    .pipe(z.number().int().refine(Number.isSafeInteger, `--${flag} is too large`));

const ExplainFlags = z.object({
  policy: z.string({ error: '--policy is required' }),
  account: z.string({ error: '--account is required' }),
  income: integer('income').optional(),
  expenses: integer('expenses').optional(),
  reason: HardshipReason.optional(),
  'as-of': z.string().optional(),
  authority: AuthorityLevel.default('bot'),
  signal: z.array(Signal).default([]),
});

const EvaluateFlags = z.object({
  policy: z.string({ error: '--policy is required' }),
  authority: AuthorityLevel.default('bot'),
});

const EvaluateInput = z.object({ account: z.unknown(), assessment: z.unknown(), proposal: z.unknown() }).strict();

function readJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(source, [{ path: '', message: `not valid JSON (${(e as Error).message})` }]);
  }
}

/** Today in the policy's timezone: the only clock the CLI reads, and only when --as-of is absent. */
function today(timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function money(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  const major = abs.slice(0, abs.length - digits);
  const fraction = digits ? `.${abs.slice(abs.length - digits)}` : '';
  return `${minor < 0 ? '-' : ''}${major}${fraction} ${currency}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function offerRows(offers: Offer[], currency: string): string[][] {
  return [
    ['rank', 'offer', 'authority', 'largest payment', 'total repayable', 'concession', 'first due'],
    ...offers.map((o) => [
      String(o.rank),
      o.offerId,
      o.authority,
      money(o.largestPaymentMinor, currency),
      money(o.totalRepayableMinor, currency),
      money(o.concessionMinor, currency),
      o.installment?.firstDueDate ?? o.settlement?.payByDate ?? o.deferral?.resumeDate ?? '-',
    ]),
  ];
}

function renderExplanation(e: Explanation, currency: string): string {
  const { envelope: env } = e;
  const a = env.affordability;
  const limits = table([
    ['limit', 'bot', 'agent', 'supervisor'],
    ...(
      <Array<[string, (l: AuthorityLimits) => string]>>[
        ['installment.maxMonths', (l) => String(l.installment.maxMonths)],
        ['installment.minMonthlyPayment', (l) => money(l.installment.minMonthlyPaymentMinor, currency)],
        ['installment.annualRateBps', (l) => String(l.installment.annualRateBps)],
        ['installment.interestFrozen', (l) => String(l.installment.interestFrozen)],
        ['interestWaiverMaxBps', (l) => String(l.interestWaiverMaxBps)],
        ['feeWaiverMaxBps', (l) => String(l.feeWaiverMaxBps)],
        ['settlement.maxDiscountBps', (l) => String(l.settlement.maxDiscountBps)],
        ['settlement.payWithinDays', (l) => String(l.settlement.payWithinDays)],
        ['deferralMaxDays', (l) => String(l.deferralMaxDays)],
      ]
    ).map(([name, get]) => [name, get(env.limits.bot), get(env.limits.agent), get(env.limits.supervisor)]),
  ]);
  const lines = [
    `policy ${e.policyId}@${e.policyVersion}  bucket ${e.bucket.id} (${e.bucket.label})  rules ${env.ruleIdPrefix}`,
    `balance ${money(env.balanceMinor, currency)}  affordability ${a.status}` +
      (a.status === 'assessed'
        ? `: disposable ${money(a.disposableMinor!, currency)}, max monthly ${money(a.maxMonthlyPaymentMinor!, currency)}, max lump sum ${money(a.maxLumpSumMinor!, currency)}`
        : ''),
    '',
    limits,
    '',
    e.offers.length ? table(offerRows(e.offers, currency)) : 'no offers',
  ];
  if (e.handoff) lines.push('', `HANDOFF ${e.handoff.reason} (${e.handoff.urgency})${e.handoff.authorityNeeded ? ` to ${e.handoff.authorityNeeded}` : ''}: ${e.handoff.ruleIds.join(', ')}`);
  for (const r of e.reasons) lines.push(`note: ${r.code} ${r.ruleId}${r.detail ? ` (${r.detail})` : ''}`);
  return lines.join('\n');
}

function renderDecision(d: Decision, currency: string): string {
  const lines = [`${d.outcome.toUpperCase()}  (${d.policyId}@${d.policyVersion})`];
  if (d.offer) lines.push(table(offerRows([d.offer], currency)));
  if (d.offer?.installment) {
    lines.push(table([['n', 'due', 'amount', 'principal', 'interest'], ...d.offer.installment.schedule.map((l) => [String(l.n), l.dueDate, money(l.amountMinor, currency), money(l.principalMinor, currency), money(l.interestMinor, currency)])]));
  }
  if (d.handoff) lines.push(`handoff ${d.handoff.reason} (${d.handoff.urgency})${d.handoff.authorityNeeded ? ` to ${d.handoff.authorityNeeded}` : ''}`);
  for (const r of d.reasons) lines.push(`${r.code}  ${r.ruleId}${r.detail ? `  ${r.detail}` : ''}`);
  return lines.join('\n');
}

function loadAccount(ref: string): unknown {
  const demo = demoAccount(ref);
  if (demo) return demo;
  let text: string;
  try {
    text = readFileSync(ref, 'utf8');
  } catch {
    throw new InputError('--account', [{ path: '', message: `"${ref}" is neither a demo account id nor a readable file` }]);
  }
  return readJson(text, ref);
}

/** Where the command reads and writes: the process's streams from the CLI, strings in the tests. */
export interface PolicyIo {
  stdin(): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
}

async function main(argv: string[], io: PolicyIo): Promise<void> {
  const out = (text: string) => io.stdout(`${text}\n`);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      policy: { type: 'string' },
      account: { type: 'string' },
      income: { type: 'string' },
      expenses: { type: 'string' },
      reason: { type: 'string' },
      'as-of': { type: 'string' },
      authority: { type: 'string' },
      signal: { type: 'string', multiple: true },
    },
  });
  const [command, ...rest] = positionals;
  const { json, help, ...flags } = values;
  if (help) return out(USAGE);
  const print = (value: unknown, readable: () => string) => out(json ? JSON.stringify(value, null, 2) : readable());

  switch (command) {
    case 'validate': {
      if (rest.length !== 1) throw new UsageError('validate takes exactly one file');
      const policy = loadPolicy(rest[0]!);
      const summary = { ok: true, id: policy.id, version: policy.version, buckets: Object.keys(policy.buckets) };
      return print(summary, () => `ok: ${policy.id}@${policy.version} (${summary.buckets.join(', ')})`);
    }
    case 'schema':
      return out(JSON.stringify(policyJsonSchema(), null, 2));
    case 'explain': {
      const f = parseInput(ExplainFlags, flags, 'options');
      const policy: Policy = loadPolicy(f.policy);
      const assessment = {
        asOf: f['as-of'] ?? today(policy.timezone),
        hardshipReason: f.reason ?? null,
        monthlyIncomeMinor: f.income ?? null,
        essentialExpensesMinor: f.expenses ?? null,
        expectedDurationMonths: null,
        signals: f.signal,
      };
      const explanation = explain(policy, loadAccount(f.account), assessment, { authority: f.authority });
      return print(explanation, () => renderExplanation(explanation, policy.currency));
    }
    case 'evaluate': {
      const f = parseInput(EvaluateFlags, flags, 'options');
      const policy = loadPolicy(f.policy);
      const input = parseInput(EvaluateInput, readJson(await io.stdin(), 'stdin'), 'stdin');
      const decision = evaluate(policy, input.account, input.assessment, input.proposal, { authority: f.authority });
      return print(decision, () => renderDecision(decision, policy.currency));
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  }
}

/**
 * Runs one command; answers the exit code: 0 ok, 2 bad input (the message names the field),
 * 1 internal error.
 */
export async function policyCommand(argv: string[], io: PolicyIo): Promise<number> {
  try {
    await main(argv, io);
    return 0;
  } catch (error: unknown) {
    const code = (error as { code?: string }).code;
    if (error instanceof InputError) {
      io.stderr(`${error.message}\n`);
      if (argv.includes('--json')) io.stdout(`${JSON.stringify({ ok: false, subject: error.subject, issues: error.issues }, null, 2)}\n`);
      return 2;
    }
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
