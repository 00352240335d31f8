/**
 * The champion/challenger file (`CHALLENGERS_FILE`): which challenger policy takes which share of
 * a champion's accounts, per bucket. Read once at start-up; every problem (a share above 100%, an
 * unknown policy or bucket, a challenger file that does not validate) stops the process with a
 * ConfigError naming the variable, the file and the field.
 *
 * ```yaml
 * seed: forbear-2026q4          # changing it re-deals every account
 * challengers:
 *   - policy: policy/challengers/default-cn-2026.3.yaml   # a file, or a bundled policy id
 *     champion: default-cn                               # whose accounts it may take
 *     shares: { M2: 10, M3: 10 }                         # percent of the champion's bucket
 * ```
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError, loadPolicy, yaml } from '../../policy/index.js';
import type { Policy } from '../../policy/index.js';
import { ConfigError } from '../config.js';
import { challengerRef, type Experiment } from './variant.js';

const Percent = z
  .number()
  .min(0, 'a share is a percentage from 0 to 100')
  .max(100, 'a share is a percentage from 0 to 100')
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals (a share is kept in basis points)');

export const ChallengersFile = z.strictObject({
  seed: z.string().min(1).max(200),
  challengers: z
    .array(
      z.strictObject({
        policy: z.string().min(1),
        champion: z.string().min(1),
        shares: z.record(z.string(), Percent).refine((s) => Object.keys(s).length > 0, 'name at least one bucket'),
      }),
    )
    .min(1),
});

function fail(file: string, lines: string[]): never {
  throw new ConfigError([`CHALLENGERS_FILE (${file}):`, ...lines.map((l) => `  ${l}`)]);
}

function policyOrFail(file: string, where: string, load: () => Policy): Policy {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    fail(file, [`${where}: ${err.message.replace(/\n/g, '\n      ')}`]);
  }
}

/**
 * Loads and checks the file. `champions` resolves a champion id the way the bot does; challenger
 * paths are relative to the file. Returns the experiment and the challenger policies by their ref.
 */
export function loadChallengers(file: string, champions: (id: string) => Policy): Experiment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    fail(file, ['cannot be read (no such file?)']);
  }
  const doc = yaml().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) fail(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]!}`));
  const parsed = ChallengersFile.safeParse(doc.toJS());
  if (!parsed.success) fail(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));

  const problems: string[] = [];
  const totals = new Map<string, number>();
  const seen = new Set<string>();
  const challengers = parsed.data.challengers.map((c, i) => {
    const at = `challengers.${i}`;
    const champion = policyOrFail(file, `${at}.champion`, () => champions(c.champion));
    const ref = /^[A-Za-z][A-Za-z0-9_-]*$/.test(c.policy) ? c.policy : path.resolve(path.dirname(file), c.policy);
    const policy = policyOrFail(file, `${at}.policy`, () => loadPolicy(ref));
    if (challengerRef(policy) === challengerRef(champion)) problems.push(`${at}.policy: is the champion itself (${challengerRef(policy)})`);
    if (seen.has(challengerRef(policy))) problems.push(`${at}.policy: ${challengerRef(policy)} is configured twice`);
    seen.add(challengerRef(policy));
    if (policy.currency !== champion.currency) problems.push(`${at}.policy: currency ${policy.currency} differs from the champion's ${champion.currency}`);
    const sharesBps: Record<string, number> = {};
    for (const [bucket, percent] of Object.entries(c.shares)) {
      if (!(bucket in champion.buckets)) {
        problems.push(`${at}.shares.${bucket}: ${champion.id} has no bucket ${bucket} (it has ${Object.keys(champion.buckets).join(', ')})`);
        continue;
      }
      const bps = Math.round(percent * 100);
      sharesBps[bucket] = bps;
      const key = `${champion.id}:${bucket}`;
      totals.set(key, (totals.get(key) ?? 0) + bps);
    }
    return { policy, champion: champion.id, sharesBps };
  });
  for (const [key, bps] of totals) {
    if (bps > 10_000) problems.push(`shares: challengers of ${key.replace(':', ' bucket ')} add up to ${bps / 100}%, more than 100%`);
  }
  if (problems.length > 0) fail(file, problems);
  return { seed: parsed.data.seed, challengers };
}

/**
 * Every account of `champion` on `challenger` (the simulator's second run): the same checks as the
 * file's — the challenger validates, is not the champion, and speaks the champion's currency.
 */
export function challengerEverywhere(challengerFile: string, championId: string, champions: (id: string) => Policy): Experiment {
  const where = `--challenger ${challengerFile}`;
  const problem = (message: string): never => {
    throw new ConfigError([`${where}: ${message}`]);
  };
  const load = (what: string, run: () => Policy) => {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return problem(`${what}: ${err.message}`);
    }
  };
  const policy = load('policy', () => loadPolicy(challengerFile));
  const champion = load('champion', () => champions(championId));
  if (challengerRef(policy) === challengerRef(champion)) problem(`is the champion itself (${challengerRef(policy)})`);
  if (policy.currency !== champion.currency) problem(`currency ${policy.currency} differs from ${champion.id}'s ${champion.currency}`);
  return { seed: 'simulate', challengers: [{ policy, champion: champion.id, sharesBps: Object.fromEntries(Object.keys(champion.buckets).map((b) => [b, 10_000])) }] };
}
