import { describe, expect, it } from 'vitest';
import { InputError } from '../../policy/errors.js';
import { loadPolicy, parsePolicy } from '../../policy/load.js';
import { Policy, policyJsonSchema } from '../../policy/schema.js';
import { policyDoc } from './fixtures.js';

type Doc = Record<string, any>;
const issuePaths = (doc: Doc) => {
  const r = Policy.safeParse(doc);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('policy schema', () => {
  it('accepts the bundled example policies', () => {
    for (const id of ['default-cn', 'default-us']) {
      const p = loadPolicy(id);
      expect(p.id).toBe(id);
      expect(Object.keys(p.buckets)).toEqual(['M1', 'M2', 'M3', 'M4_6', 'CO']);
    }
    expect(loadPolicy('default-cn').currency).toBe('CNY');
    expect(loadPolicy('default-us').timezone).toBe('America/New_York');
  });

  it('defaults contact hours to 08:00–21:00', () => {
    expect(Policy.parse(policyDoc()).contact.allowedHours).toEqual({ start: '08:00', end: '21:00' });
  });

  it('refuses gaps, overlaps and a closed last bucket', () => {
    const gap: Doc = policyDoc();
    gap.buckets.M2.minDaysPastDue = 32;
    expect(issuePaths(gap)).toContain('buckets.M2.minDaysPastDue');
    const overlap: Doc = policyDoc();
    overlap.buckets.M3.minDaysPastDue = 60;
    expect(issuePaths(overlap)).toContain('buckets.M3.minDaysPastDue');
    const closed: Doc = policyDoc();
    closed.buckets.CO.maxDaysPastDue = 999;
    expect(issuePaths(closed)).toContain('buckets.CO.maxDaysPastDue');
    const late: Doc = policyDoc();
    late.buckets.M1.minDaysPastDue = 1;
    expect(issuePaths(late)).toContain('buckets.M1.minDaysPastDue');
  });

  it('requires bot ≤ agent ≤ supervisor for every limit, naming the offending level', () => {
    const doc: Doc = policyDoc();
    doc.buckets.M2.bot.installment.maxMonths = 36; // agent has 24
    doc.buckets.M2.supervisor.installment.minMonthlyPaymentMinor = 50_000; // stricter than agent
    doc.buckets.M3.agent.feeWaiverMaxBps = 1_000; // below bot's 5 000
    expect(issuePaths(doc)).toEqual(
      expect.arrayContaining([
        'buckets.M2.agent.installment.maxMonths',
        'buckets.M2.supervisor.installment.minMonthlyPaymentMinor',
        'buckets.M3.agent.feeWaiverMaxBps',
      ]),
    );
  });

  it('caps plans at 60 months and needs a 0 rate when interest is frozen', () => {
    const doc: Doc = policyDoc();
    doc.buckets.M1.supervisor.installment.maxMonths = 61;
    doc.buckets.M2.supervisor.installment.annualRateBps = 100;
    const paths = issuePaths(doc);
    expect(paths).toContain('buckets.M1.supervisor.installment.maxMonths');
    expect(paths).toContain('buckets.M2.supervisor.installment.annualRateBps');
  });

  it('is strict: unknown fields, missing signals and bad ids are all reported', () => {
    const doc: Doc = policyDoc();
    doc.buckets.M1.bot.maxMonths = 12;
    delete doc.handoffTriggers.signals.self_harm;
    doc.timezone = 'Mars/Olympus';
    doc.buckets['M.9'] = doc.buckets.CO;
    const paths = issuePaths(doc);
    expect(paths).toEqual(expect.arrayContaining(['buckets.M1.bot', 'handoffTriggers.signals.self_harm', 'timezone', 'buckets.M.9']));
  });

  it('checks balance tiers like buckets', () => {
    const doc: Doc = policyDoc();
    const { bot, agent, supervisor } = doc.buckets.CO;
    doc.buckets.CO.balanceTiers = { large: { label: 'large', minBalanceMinor: 100, bot: agent, agent: bot, supervisor } };
    expect(issuePaths(doc)).toContain('buckets.CO.balanceTiers.large.agent.installment.maxMonths');
  });

  it('refuses a YAML file with every problem listed and nothing loaded', () => {
    const text = `id: broken\nversion: "1"\ncurrency: cny\ntimezone: Asia/Shanghai\nbuckets: {}\naffordability: { maxShareOfDisposableBps: 20000 }\n`;
    const error = (() => {
      try {
        parsePolicy(text, 'broken.yaml');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InputError);
    const paths = (error as InputError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'currency',
        'buckets',
        'affordability.maxShareOfDisposableBps',
        'affordability.lumpSumMaxMonthsOfDisposable',
        'negotiation',
        'handoffTriggers',
        'contact',
      ]),
    );
    expect(() => parsePolicy('id: [unclosed', 'x.yaml')).toThrow(InputError);
  });

  it('exports a JSON Schema of the file format', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['id', 'version', 'currency', 'timezone', 'buckets', 'affordability', 'handoffTriggers', 'contact']),
    );
    expect(schema.required).toContain('buckets');
  });
});
