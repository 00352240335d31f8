import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeldOutReport } from '../../bot/understanding/heldout.js';
import { startFakeOpenAI, type FakeOpenAI, type Step } from './fakeOpenAI.js';

const run = promisify(execFile);

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const nothing: Step = {
  kind: 'json',
  value: {
    intent: 'unknown',
    entities: { amountMinor: null, months: null, date: null, hardshipReason: null, incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null },
    signals: [],
    language: 'en',
    confidence: 0.9,
  },
};

describe('measure:understanding --llm', () => {
  it('runs the same held-out sets through the configured endpoint, with few-shot lines from the corpus', async () => {
    fake.script(...Array.from({ length: 800 }, () => nothing));
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'bot/understanding/measure.ts', '--llm', '--json', '--datasets', '/nonexistent-shared-datasets', '--concurrency', '8'],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'local-test' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const report = HeldOutReport.parse(JSON.parse(stdout));
    expect(report.engine).toBe('llm');
    expect(report.sets.map((s) => s.name)).toEqual(['forbear test', 'forbear test', 'forbear test']);
    expect(report.sets.every((s) => s.misses.length === 0)).toBe(true);
    expect(stderr).toContain('llm:');
    expect(fake.requests.length).toBeGreaterThan(100);
    const system = fake.requests[0]!.body.messages![0]!.content;
    expect(system).toContain('Labelled examples');
    expect(system).toContain('→ request_human');
    // The safety lexicon still adds what the model missed (a model answering "unknown" to everything).
    expect(report.targets.safetyHeldOutRecall).toBeGreaterThan(0.5);
  });
});
