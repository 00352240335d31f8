import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UnderstandingResult } from '../../conversation/understanding.js';

const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bot/understanding/cli.ts', ...args], { encoding: 'utf8', input });

describe('understand CLI', () => {
  it('prints one JSON result for a message', () => {
    const run = cli(['--today', '2025-03-12', '我失业了，每月只能还1500']);
    expect(run.status).toBe(0);
    const result = UnderstandingResult.parse(JSON.parse(run.stdout));
    expect(result).toMatchObject({ intent: 'propose_payment', entities: { amountMinor: 150000, hardshipReason: 'job_loss' } });
  });

  it('reads one message per line with --jsonl and honours --expecting and --lang', () => {
    const run = cli(['--jsonl', '--expecting', 'income', '--lang', 'zh-TW'], '1500\n\n三千五\nyes\n');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => UnderstandingResult.parse(JSON.parse(l)));
    expect(lines.map((l) => l.entities.incomeMinor)).toEqual([150000, 350000, null]);
    expect(lines.map((l) => l.language)).toEqual(['zh-TW', 'zh-TW', 'en']);
  });

  it.each([
    [['--expecting', 'salary', 'x'], '--expecting'],
    [['--today', '12/03/2025', 'x'], '--today'],
    [['--lang', 'fr', 'x'], '--lang'],
    [['--engine', 'gpt', 'x'], '--engine'],
    [[], '--text'],
    [['--bogus', 'x'], 'bogus'],
  ])('exits 2 naming the bad field for %j', (args, field) => {
    const run = cli(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(field);
  });
});
