/**
 * The bench's contract, not its timings: a tiny run writes results.json in the shape scripts read,
 * and a run with errors prints them, gives no ratios and exits non-zero. (Speed targets live in
 * `npm run bench` itself, never in a timed test.)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { until } from '../support/until.js';

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

/** Every live process below `root` (children, grandchildren…), from /proc; zombies count as gone. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parent.set(Number(name), Number(ppid));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) (found.push(child), walk(child));
  };
  walk(root);
  return found;
}

/** The process still exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('npm run bench killed', () => {
  it('SIGKILL of the bench takes its servers, Redis and load generator with it, and the caller\'s pipes close', async () => {
    const bench = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', join(OUT, 'killed.json'), '--chart', join(OUT, 'killed.svg')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    bench.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    bench.stdout.resume();
    const closed = new Promise<void>((resolve) => bench.once('close', () => resolve()));
    let pipesClosed = false;
    void closed.then(() => (pipesClosed = true));
    let children: number[] = [];
    try {
      // The warm-up starts once Redis, the load generator and the four servers are up.
      await until(async () => stderr.includes('bench: warm-up'), 300_000);
      children = descendants(bench.pid!);
      // Four servers, the load generator and Redis at least.
      expect(children.length, stderr).toBeGreaterThanOrEqual(6);
      bench.kill('SIGKILL');
      await until(async () => pipesClosed, 60_000);
      await until(async () => children.every((pid) => !alive(pid)), 60_000);
    } finally {
      // Without the fix the orphans would outlive the test: end the ones this test started.
      bench.kill('SIGKILL');
      for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  }, 600_000);
});
