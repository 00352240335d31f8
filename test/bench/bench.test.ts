/**
 * The bench's contract, not its timings: a tiny run writes results.json in the shape scripts read,
 * and a run with errors prints them, gives no ratios and exits non-zero. (Speed targets live in
 * `npm run bench` itself, never in a timed test.)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const OUT = join('test-output', `bench-${process.pid}`);
mkdirSync(OUT, { recursive: true });

async function bench(name: string, ...args: string[]) {
  const out = join(OUT, `${name}.json`);
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out, '--chart', join(OUT, `${name}.svg`), ...args], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    return { code: 0, stdout, json: JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout, json: JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> };
  }
}

const positive = expect.any(Number);

describe('npm run bench -- --quick', () => {
  it('writes results.json with the ratios and per-conversation figures, and a latency chart', async () => {
    const { code, stdout, json } = await bench('ok', '--conversations', '20');
    expect(code, stdout).toBe(0);
    expect(json).toMatchObject({
      ok: true,
      errors: [],
      ratios: { cpuPerTurn: { memory: positive, redis: positive }, p99: { memory: positive, redis: positive } },
      redisRoundTripsPerTurn: positive,
      heapBytesPerConversation: positive,
      rssBytesPerConversation: expect.any(Number),
      redisBytesPerConversation: positive,
      redisBytesPerConversationAfterADay: positive,
      startupCpuMs: positive,
      machine: { nproc: positive, cpuModel: expect.any(String) },
    });
    // The Direct Line log expires within a day of the conversation's last activity; the transcript does not.
    expect(json['redisBytesPerConversationAfterADay']).toBeLessThan(json['redisBytesPerConversation'] as number);
    for (const key of ['echo/memory', 'forbear/memory', 'echo/redis', 'forbear/redis']) {
      expect((json['scenarios'] as Record<string, { turns: number; cpuMsPerTurn: number }>)[key]).toMatchObject({ turns: positive, cpuMsPerTurn: positive });
    }
    // RSS per conversation is a slope over 8 equal steps after a warm-up; each step's own figure is kept, so its noise is visible.
    for (const bot of ['echo', 'forbear']) {
      expect((json['memory'] as Record<string, unknown>)[bot]).toMatchObject({
        conversations: 20,
        warmUp: 3,
        rssBytesPerConversationByStep: Array.from({ length: 8 }, () => expect.any(Number)),
        v8ResidentBytesPerConversation: expect.any(Number),
        mallocArenaBytesPerConversation: expect.any(Number),
      });
    }
    expect(stdout).toMatch(/RSS per conversation in 8 equal steps, KiB: forbear -?\d+/);
    expect(readFileSync(join(OUT, 'ok.svg'), 'utf8')).toContain('<svg');
    expect(stdout).toMatch(/Forbear ÷ echo: CPU\/turn ×/);
  }, 600_000);

  it('--allocation prints what a turn allocates on each of the four servers, with its largest sources', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--allocation', '--conversations', '10'], { encoding: 'utf8', timeout: 600_000 });
    for (const server of ['echo/memory', 'forbear/memory', 'echo/redis', 'forbear/redis']) {
      const kib = Number(new RegExp(`^${server}: ([\\d.]+) KiB allocated per turn \\(90 turns\\)$`, 'm').exec(stdout)?.[1]);
      expect(kib, stdout).toBeGreaterThan(10);
    }
    // Forbear's own code shows among the sources.
    expect(stdout).toMatch(/^ {2}[\d.]+ bot\/transcripts\/chain\.ts$/m);
  }, 600_000);

  it('a run with errors prints them, gives no ratios and exits non-zero', async () => {
    // An account that does not exist: no conversation can reach an agreement.
    const { code, stdout, json } = await bench('errors', '--account', 'no-such-account');
    expect(code).toBe(1);
    expect(stdout).toContain('bench FAILED');
    expect(stdout).not.toContain('Forbear ÷ echo');
    expect(json).toMatchObject({ ok: false, ratios: null });
    expect((json['errors'] as string[]).some((e) => e.includes('without an agreement'))).toBe(true);
  }, 600_000);
});
