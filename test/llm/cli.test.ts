import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPT_VERSION } from '../../prompts/index.js';
import { startFakeOpenAI, type FakeOpenAI } from './fakeOpenAI.js';

const run = promisify(execFile);
const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  run(process.execPath, ['--import', 'tsx', 'bot/understanding/cli.ts', ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env } });

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

describe('understand --llm', () => {
  it('reads the message through the configured endpoint', async () => {
    fake.script({
      kind: 'json',
      value: {
        intent: 'propose_payment',
        entities: { amountMinor: 150000, months: null, date: null, hardshipReason: 'job_loss', incomeMinor: null, expensesMinor: null, concession: null, percentBps: null, deferralDays: null, optionIndex: null },
        signals: [],
        language: 'zh-CN',
        confidence: 0.9,
      },
    });
    const { stdout } = await cli(['--llm', '我上个月被裁员了，现在每月只能还1500'], { OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: 'local-test' });
    expect(JSON.parse(stdout)).toMatchObject({ intent: 'propose_payment', engine: 'llm', promptVersion: PROMPT_VERSION, entities: { amountMinor: 150000 } });
    expect(fake.requests.at(-1)?.body.model).toBe('local-test');
  });

  it('refuses to start without an endpoint, naming the variables', async () => {
    await expect(cli(['--llm', 'hello'], {})).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('OPENAI_BASE_URL') });
  });
});
