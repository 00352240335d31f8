import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../bot/config.js';
import { loadChallengers } from '../../bot/experiments/config.js';
import { assignVariant, slotOf, type Experiment } from '../../bot/experiments/variant.js';
import { loadPolicy } from '../../policy/load.js';
import { events, harness, texts } from '../dialogs/harness.js';

const champion = loadPolicy('default-cn');
const challenger = loadPolicy('policy/challengers/default-cn-2026.3.yaml');
const tenPercentOfM2: Experiment = { seed: 'test-seed', challengers: [{ policy: challenger, champion: 'default-cn', sharesBps: { M2: 1000 } }] };
const ids = Array.from({ length: 10_000 }, (_, i) => `acct-${i.toString(36)}-${(i * 7919) % 104_729}`);

describe('variant assignment', () => {
  it('puts close to the configured share of a bucket on the challenger, and nobody outside that bucket', () => {
    const m2 = ids.map((id) => assignVariant(tenPercentOfM2, champion, id, 45));
    const share = m2.filter((v) => v.arm === 'challenger').length / ids.length;
    // Binomial sd for 10,000 draws at 10% is 0.3%: ±1% is more than three of them.
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    expect(m2.every((v) => v.bucket === 'M2')).toBe(true);
    expect(m2.find((v) => v.arm === 'challenger')).toMatchObject({ policyRef: 'default-cn@2026.3', policyId: 'default-cn', policyVersion: '2026.3', shareBps: 1000 });
    expect(ids.every((id) => assignVariant(tenPercentOfM2, champion, id, 12).arm === 'champion')).toBe(true);
  });

  it('is stable: the same account gets the same variant on every call and from a separately built experiment', () => {
    const again: Experiment = { seed: 'test-seed', challengers: [{ policy: loadPolicy('policy/challengers/default-cn-2026.3.yaml'), champion: 'default-cn', sharesBps: { M2: 1000 } }] };
    for (const id of ids) expect(assignVariant(again, champion, id, 45).arm).toBe(assignVariant(tenPercentOfM2, champion, id, 45).arm);
    // Another seed deals the accounts again: a different set draws the challenger.
    const reseeded = ids.filter((id) => assignVariant({ ...tenPercentOfM2, seed: 'other' }, champion, id, 45).arm === 'challenger');
    const original = new Set(ids.filter((id) => assignVariant(tenPercentOfM2, champion, id, 45).arm === 'challenger'));
    expect(reseeded.filter((id) => original.has(id)).length).toBeLessThan(reseeded.length / 4);
  });

  it('spreads slots uniformly and gives two challengers of one bucket disjoint accounts', () => {
    const deciles = new Array<number>(10).fill(0);
    for (const id of ids) deciles[Math.floor(slotOf('s', id) / 1000)]! += 1;
    for (const d of deciles) expect(Math.abs(d - 1000)).toBeLessThan(130);
    const other = { ...challenger, version: '2026.4' };
    const two: Experiment = { seed: 's', challengers: [{ policy: challenger, champion: 'default-cn', sharesBps: { M2: 2000 } }, { policy: other, champion: 'default-cn', sharesBps: { M2: 3000 } }] };
    const arms = ids.map((id) => assignVariant(two, champion, id, 45).policyRef);
    expect(arms.filter((r) => r === 'default-cn@2026.3').length / ids.length).toBeCloseTo(0.2, 1);
    expect(arms.filter((r) => r === 'default-cn@2026.4').length / ids.length).toBeCloseTo(0.3, 1);
  });
});

describe('the challengers file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'forbear-challengers-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const challengerFile = path.resolve('policy/challengers/default-cn-2026.3.yaml');
  const load = (file: string) => loadChallengers(file, (id) => loadPolicy(id));
  const problem = (file: string) => {
    try {
      load(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('loads the shipped example', () => {
    const experiment = load(path.resolve('policy/challengers/challengers.example.yaml'));
    expect(experiment.seed).toBe('forbear-2026q4');
    expect(experiment.challengers[0]).toMatchObject({ champion: 'default-cn', sharesBps: { M2: 1000, M3: 1000 } });
  });

  it('rejects shares above 100%, alone or together, naming the variable, file and field', () => {
    const one = write('one.yaml', `seed: s\nchallengers:\n  - { policy: ${challengerFile}, champion: default-cn, shares: { M2: 120 } }\n`);
    expect(problem(one)).toMatch(/CHALLENGERS_FILE \(.*one\.yaml\)[\s\S]*challengers\.0\.shares\.M2: a share is a percentage from 0 to 100/);
    const bad = write('sum.yaml', `seed: s\nchallengers:\n  - { policy: ${challengerFile}, champion: default-cn, shares: { M2: 60 } }\n  - { policy: default-us, champion: default-cn, shares: { M2: 50 } }\n`);
    const message = problem(bad);
    expect(message).toMatch(/default-cn bucket M2 add up to 110%, more than 100%/);
    expect(message).toMatch(/challengers\.1\.policy: currency USD differs/);
  });

  it('rejects an unknown policy, an unknown bucket and an invalid challenger file', () => {
    expect(problem(write('unknown.yaml', 'seed: s\nchallengers:\n  - { policy: no-such-policy, champion: default-cn, shares: { M2: 10 } }\n'))).toMatch(
      /challengers\.0\.policy: no-such-policy is invalid:[\s\S]*no such policy file or bundled policy id/,
    );
    expect(problem(write('champion.yaml', `seed: s\nchallengers:\n  - { policy: ${challengerFile}, champion: nobody, shares: { M2: 10 } }\n`))).toMatch(/challengers\.0\.champion: nobody is invalid/);
    expect(problem(write('bucket.yaml', `seed: s\nchallengers:\n  - { policy: ${challengerFile}, champion: default-cn, shares: { M9: 10 } }\n`))).toMatch(/shares\.M9: default-cn has no bucket M9/);
    write('broken-policy.yaml', 'id: broken\nversion: "1"\ncurrency: CNY\n');
    expect(problem(write('invalid.yaml', `seed: s\nchallengers:\n  - { policy: broken-policy.yaml, champion: default-cn, shares: { M2: 10 } }\n`))).toMatch(
      /challengers\.0\.policy: .*broken-policy\.yaml is invalid:[\s\S]*buckets/,
    );
    expect(problem(write('typo.yaml', 'seed: s\nchalengers: []\n'))).toMatch(/challengers: /);
  });

  it('stops npm start with exit 2 naming CHALLENGERS_FILE', () => {
    const bad = write('start.yaml', `seed: s\nchallengers:\n  - { policy: ${challengerFile}, champion: default-cn, shares: { M2: 101 } }\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/index.ts'], {
      env: { ...process.env, CHALLENGERS_FILE: bad, PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/CHALLENGERS_FILE \(.*start\.yaml\)[\s\S]*shares\.M2/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a challenger in a conversation', () => {
  const everyM2: Experiment = { seed: 'x', challengers: [{ policy: challenger, champion: 'default-cn', sharesBps: { M2: 10_000 } }] };
  const negotiate = async (experiment: Experiment | undefined) => {
    const h = await harness(experiment ? { experiment } : {});
    const id = 'conv-variant';
    await h.open(id, { locale: 'zh-CN', account: 'cn-m2-li' });
    await h.say(id, '7305');
    await h.say(id, '1979-11-02');
    await h.say(id, '我失业了');
    await h.say(id, '每月收入一万二');
    await h.say(id, '开支四千');
    await h.say(id, '对');
    const answer = await h.say(id, '我想分36期');
    return { h, id, answer };
  };

  it('bounds the bot by the challenger policy and records the variant on the decisions and the arrangement', async () => {
    const champion = await negotiate(undefined);
    // The champion's bot may not offer 36 months in M2: the request is countered or goes to a person.
    expect(events(champion.answer, 'offer').every((o) => (o['offer'] as { installment: { months: number } | null }).installment?.months !== 36)).toBe(true);

    const { h, id, answer } = await negotiate(everyM2);
    const offered = events(answer, 'offer')[0]!;
    expect(offered).toMatchObject({ policyId: 'default-cn', policyVersion: '2026.3', offer: { installment: { months: 36 } } });
    // The policy accepted the cardholder's own terms, so the restated terms await consent.
    expect(texts(answer).join('\n')).toMatch(/36/);
    const done = await h.say(id, '同意');
    expect(texts(done).join('\n')).toMatch(/FB-\d{4}-/);
    const arrangement = events(done, 'agreement')[0]!;
    expect(arrangement).toMatchObject({ policyVersion: '2026.3', variant: 'challenger default-cn@2026.3' });
    const decisions = (await h.forbear.transcripts.read(id)).flatMap((r) => (r.kind === 'decision' ? [r.payload] : []));
    expect(decisions.find((d) => d.type === 'variant')).toMatchObject({ accountId: 'cn-m2-li', arm: 'challenger', bucket: 'M2', shareBps: 10_000 });
    expect(decisions.find((d) => d.type === 'arrangement_created')).toMatchObject({ variant: 'challenger default-cn@2026.3' });
    expect(decisions.filter((d) => d.type === 'policy_evaluation' || d.type === 'offer_shown').every((d) => 'policyVersion' in d && d.policyVersion === '2026.3')).toBe(true);
    await h.forbear.close();
  });

  it('counts a handoff under the variant in force, on the event and in Prometheus', async () => {
    const h = await harness({ experiment: everyM2 });
    const id = 'conv-variant-handoff';
    await h.open(id, { locale: 'zh-CN', account: 'cn-m2-li' });
    await h.say(id, '7305');
    await h.say(id, '1979-11-02');
    const answer = await h.say(id, '我要转人工');
    const handoff = events(answer, 'handoff')[0]!;
    expect(handoff).toMatchObject({ variant: 'challenger default-cn@2026.3' });
    const metrics = await h.forbear.metrics.registry.metrics();
    expect(metrics).toContain(`forbear_variant_handoffs_total{variant="challenger default-cn@2026.3",reason="${String(handoff['reason'])}"} 1`);
    await h.forbear.close();
  });
});
