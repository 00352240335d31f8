/**
 * `npm run bench`: what a Forbear turn costs, stated against a bare echo on the same stack.
 *
 * Four server processes (bench/server.ts): Forbear and the echo floor, each on in-memory state and
 * on a Redis the bench owns. One load-generator process (bench/load.ts) drives them with scripted
 * Direct Line conversations. Runs are interleaved — echo, Forbear, echo, Forbear… — and repeated,
 * so a burst of load from whoever else shares the machine falls on both sides; each figure is the
 * median over the rounds. Server CPU per turn comes from each server process's own counters;
 * Redis commands and round trips per turn from the bench Redis's counters. Then heap and RSS per
 * open conversation (a fresh server, K conversations left open), Redis bytes per completed
 * conversation, and the compiled `npm start` start-up CPU. Any error in any run: the errors are
 * printed, no ratio is given and the exit code is 1.
 *
 * Writes bench/results.json and bench/latency.svg (latency distributions).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { OpenCommand, RunCommand, RunResult } from './load.js';
import { startBenchRedis, type BenchRedis, type RedisCounters } from './redis.js';
import { latencyChart } from './chart.js';
import { ownChild } from './children.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHECKPOINT_DIR = join(tmpdir(), `forbear-bench-checkpoints-${process.pid}`);

const Args = z.object({
  quick: z.boolean().default(false),
  rounds: z.coerce.number().int().min(1).max(50).optional(),
  seconds: z.coerce.number().min(0.5).max(120).optional(),
  concurrency: z.coerce.number().int().min(1).max(500).optional(),
  conversations: z.coerce.number().int().min(10).max(20_000).optional(),
  account: z.string().min(1).default('cn-m1-wang'),
  out: z.string().default('bench/results.json'),
  chart: z.string().default('bench/latency.svg'),
  profile: z.string().min(1).optional(),
  allocation: z.boolean().default(false),
});
type Args = z.infer<typeof Args>;

interface Settings {
  rounds: number;
  seconds: number;
  concurrency: number;
  conversations: number;
  account: string;
  quick: boolean;
}

function readArgs(): { settings: Settings; out: string; chart: string; profile: string | undefined; allocation: boolean } {
  try {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean' },
        rounds: { type: 'string' },
        seconds: { type: 'string' },
        concurrency: { type: 'string' },
        conversations: { type: 'string' },
        account: { type: 'string' },
        out: { type: 'string' },
        chart: { type: 'string' },
        profile: { type: 'string' },
        allocation: { type: 'boolean' },
      },
      strict: true,
    });
    const parsed = Args.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`--${issue.path.join('.')}: ${issue.message}`);
    }
    const a: Args = parsed.data;
    return {
      settings: {
        quick: a.quick,
        rounds: a.rounds ?? (a.quick ? 1 : 5),
        seconds: a.seconds ?? (a.quick ? 1.5 : 6),
        concurrency: a.concurrency ?? (a.quick ? 4 : 8),
        conversations: a.conversations ?? (a.quick ? 40 : 4000),
        account: a.account,
      },
      out: a.out,
      chart: a.chart,
      profile: a.profile,
      allocation: a.allocation,
    };
  } catch (err) {
    process.stderr.write(
      `bench: ${(err as Error).message}\nusage: npm run bench -- [--quick] [--rounds N] [--seconds S] [--concurrency C] [--conversations K] [--account REF] [--out FILE] [--chart FILE] [--profile DIR] [--allocation]\n`,
    );
    process.exit(2);
  }
}

/**
 * A complete negotiation for the demo cardholder 王小明 (M1): verify, intake, the figures read back
 * and confirmed ('对'), an affordable offer, consent.
 */
const SCRIPT = ['我这个月还不上了', '4821', '1988-03-14', '我失业了', '20000', '5000', '对', '好的', '同意'];
/** Stops with the offer on the table: an open negotiation, not a closed one. */
const OPEN_SCRIPT = SCRIPT.slice(0, 7);

type Bot = 'echo' | 'forbear';
type Store = 'memory' | 'redis';

/** The bench's servers are started from the TypeScript sources with tsx (`--import tsx`): turns cost the same as compiled. */
const TS = ['--import', 'tsx', '--no-deprecation'];

/** `--profile DIR`: each bench server writes a V8 CPU profile there when it exits (start-up included). */
let serverProfileDir: string | undefined;

interface Child {
  process: ChildProcess;
  request<T>(message: object, key: string): Promise<T>;
}

/** Forks a bench process and waits for its `ready` message. */
async function spawnChild(script: string, env: NodeJS.ProcessEnv, execArgv: string[] = TS): Promise<Child & { url?: string }> {
  // It exits when its IPC channel closes (bench/children.ts), so it never outlives the bench holding the inherited stdout and stderr.
  const child = ownChild(fork(join(ROOT, script), [], { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), { reaper: false });
  const waiting = new Map<string, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const request = <T>(message: object, key: string) =>
    new Promise<T>((resolve, reject) => {
      waiting.set(key, { resolve: resolve as (value: unknown) => void, reject });
      child.send(message);
    });
  child.on('message', (message: Record<string, unknown>) => {
    for (const [key, w] of waiting) {
      if (key in message) {
        waiting.delete(key);
        w.resolve(message[key]);
      }
    }
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited with code ${String(code)}`));
    waiting.clear();
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('message', (m: Record<string, unknown>) => resolve(m));
    child.once('exit', (code) => reject(new Error(`${script} exited with code ${String(code)} before it was ready`)));
  });
  return { process: child, request, ...(typeof ready['url'] === 'string' ? { url: ready['url'] } : {}) };
}

/** What bench/server.ts answers to `memory`, after full collections. */
type ServerMemory = NodeJS.MemoryUsage & { v8Resident: number; mallocMainArena: number; otherAnonymous: number };

interface BenchServer {
  bot: Bot;
  store: Store;
  url: string;
  cpuMicros(): Promise<number>;
  memory(): Promise<ServerMemory>;
  /** Starts V8's allocation sampling; `heapStop` ends it and answers what was allocated (`--allocation`). */
  heapStart(): Promise<unknown>;
  heapStop(): Promise<{ bytes: number; bySource: Record<string, number> }>;
  close(): Promise<void>;
}

async function startServer(bot: Bot, store: Store, redis: BenchRedis | null, prefix: string): Promise<BenchServer> {
  const env: NodeJS.ProcessEnv = {
    BENCH_BOT: bot,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    DIRECTLINE_SECRET: 'bench-secret-bench-secret-bench-secret',
    // Limits far above what the clients send: the bench measures turns, not refusals.
    RATE_LIMIT_IP_PER_SEC: '100000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_CONVERSATION_PER_MIN: '100000',
    RATE_LIMIT_CONVERSATION_BURST: '100000',
    REDIS_URL: store === 'redis' && redis ? redis.url : '',
    REDIS_KEY_PREFIX: store === 'redis' ? prefix : '',
    TRANSCRIPT_HMAC_KEY: 'bench-chain-key-bench-chain-key-bench-chain',
    // Signed checkpoints outside Redis, as production keeps them: files in a directory of the bench's own.
    TRANSCRIPT_CHECKPOINT_DIR: store === 'redis' ? CHECKPOINT_DIR : '',
  };
  // One directory per server run, Node's own file names: tsx's loader thread writes a profile too, and a
  // fixed --cpu-prof-name would let it overwrite the main thread's (the main thread's name has `.0.`).
  const profile = serverProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(serverProfileDir, `${bot}-${store}-${process.hrtime.bigint()}`)}`] : [];
  const child = await spawnChild('bench/server.ts', env, [...TS, ...profile]);
  if (!child.url) throw new Error(`${bot}/${store} server did not report its address`);
  return {
    bot,
    store,
    url: child.url,
    cpuMicros: () => child.request<number>({ cmd: 'cpu' }, 'cpuMicros'),
    memory: () => child.request<ServerMemory>({ cmd: 'memory' }, 'memory'),
    heapStart: () => child.request({ cmd: 'heapStart' }, 'heapStarted'),
    heapStop: () => child.request({ cmd: 'heapStop' }, 'heap'),
    close: async () => {
      if (child.process.exitCode !== null) return;
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.send({ cmd: 'close' });
      await exited;
    },
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

interface RunFigures {
  turns: number;
  conversations: number;
  turnsPerSec: number;
  cpuMsPerTurn: number;
  p50: number;
  p95: number;
  p99: number;
  redisCommandsPerTurn: number | null;
  redisRoundTripsPerTurn: number | null;
  redisCpuMsPerTurn: number | null;
}

async function measuredRun(
  server: BenchServer,
  load: Child,
  redis: BenchRedis | null,
  s: Settings,
): Promise<{ figures: RunFigures; latencies: number[]; errors: string[] }> {
  const before: [number, RedisCounters | null] = [await server.cpuMicros(), redis && server.store === 'redis' ? await redis.counters() : null];
  const command: RunCommand = {
    cmd: 'run',
    url: server.url,
    concurrency: s.concurrency,
    seconds: s.seconds,
    script: SCRIPT,
    account: s.account,
    expect: server.bot === 'forbear' ? 'agreement' : 'answers',
  };
  const result = await load.request<RunResult>(command, 'result');
  const cpu = (await server.cpuMicros()) - before[0];
  const after = before[1] && redis ? await redis.counters() : null;
  const turns = result.latencies.length;
  const sorted = [...result.latencies].sort((a, b) => a - b);
  // The two INFO calls of this measurement are Redis's own work, not the server's.
  const perTurn = (a: number, b: number, own = 0) => (turns > 0 ? (a - b - own) / turns : NaN);
  return {
    latencies: result.latencies,
    errors: result.errors.map((e) => `${server.bot}/${server.store}: ${e}`),
    figures: {
      turns,
      conversations: result.conversations,
      turnsPerSec: turns / result.seconds,
      cpuMsPerTurn: turns > 0 ? cpu / 1000 / turns : NaN,
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      p99: quantile(sorted, 0.99),
      redisCommandsPerTurn: after && before[1] ? perTurn(after.commands, before[1].commands, 1) : null,
      redisRoundTripsPerTurn: after && before[1] ? perTurn(after.reads, before[1].reads, 1) : null,
      redisCpuMsPerTurn: after && before[1] ? perTurn(after.cpuMs, before[1].cpuMs) : null,
    },
  };
}

/** Median of each figure over the rounds. */
function summarise(runs: RunFigures[]) {
  const m = (f: (r: RunFigures) => number | null) => {
    const xs = runs.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
    return xs.length ? median(xs) : null;
  };
  return {
    rounds: runs.length,
    turns: runs.reduce((a, r) => a + r.turns, 0),
    turnsPerSec: round(m((r) => r.turnsPerSec) ?? NaN, 1),
    cpuMsPerTurn: round(m((r) => r.cpuMsPerTurn) ?? NaN, 3),
    latencyMs: { p50: round(m((r) => r.p50) ?? NaN), p95: round(m((r) => r.p95) ?? NaN), p99: round(m((r) => r.p99) ?? NaN) },
    redisCommandsPerTurn: round(m((r) => r.redisCommandsPerTurn) ?? NaN, 1),
    redisRoundTripsPerTurn: round(m((r) => r.redisRoundTripsPerTurn) ?? NaN, 1),
    redisCpuMsPerTurn: round(m((r) => r.redisCpuMsPerTurn) ?? NaN, 3),
    perRound: runs.map((r) => ({
      turns: r.turns,
      turnsPerSec: round(r.turnsPerSec, 1),
      cpuMsPerTurn: round(r.cpuMsPerTurn, 3),
      p50: round(r.p50),
      p95: round(r.p95),
      p99: round(r.p99),
      ...(r.redisRoundTripsPerTurn === null ? {} : { redisCommandsPerTurn: round(r.redisCommandsPerTurn!, 1), redisRoundTripsPerTurn: round(r.redisRoundTripsPerTurn, 1) }),
    })),
  };
}

/** Steps the K open conversations are opened in, memory read after each. */
const MEMORY_STEPS = 8;

/** Least-squares slope of y over x: bytes per conversation from every reading, not from two. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxx === 0 ? NaN : sxy / sxx;
}

/**
 * Heap and RSS a server holds per open conversation: a fresh server, a warm-up of K/8 conversations
 * (not counted), then K conversations left at the offer, opened in 8 equal steps with memory read
 * after full collections before and after each step. Each per-conversation figure is the slope of
 * a least-squares line through the 9 readings. RSS is not what the conversations hold — the
 * allocator and V8 take and return pages in chunks, and a fresh process grows its young generation
 * and allocator arenas once — so a difference of two readings is not sound: measured (2026-11-30),
 * after a warm-up of 100 the first step of 250 conversations grew RSS by 289 KiB each and the next
 * three by 40, 23 and −13. The per-step figures are kept beside the slope to show that noise, with
 * where the resident pages are (V8's heap, the main malloc arena).
 */
async function memoryPerConversation(bot: Bot, load: Child, s: Settings) {
  const server = await startServer(bot, 'memory', null, '');
  try {
    const open = (count: number) =>
      load.request<{ opened: number; errors: string[] }>(
        { cmd: 'open', url: server.url, concurrency: s.concurrency, count, script: OPEN_SCRIPT, account: s.account } satisfies OpenCommand,
        'result',
      );
    // Warm-up: code, caches, pools, the young generation and the allocator's arenas grow once, not per conversation.
    const warm = await open(Math.ceil(s.conversations / MEMORY_STEPS));
    const readings = [{ opened: 0, memory: await server.memory() }];
    const errors = [...warm.errors];
    const rssPerStep: number[] = [];
    for (let step = 0; step < MEMORY_STEPS; step++) {
      const count = Math.round((s.conversations * (step + 1)) / MEMORY_STEPS) - Math.round((s.conversations * step) / MEMORY_STEPS);
      const result = await open(count);
      errors.push(...result.errors);
      const previous = readings.at(-1)!;
      const memory = await server.memory();
      readings.push({ opened: previous.opened + result.opened, memory });
      rssPerStep.push(Math.round((memory.rss - previous.memory.rss) / (result.opened || 1)));
    }
    const perConversation = (of: (m: ServerMemory) => number) =>
      Math.round(
        slope(
          readings.map((r) => r.opened),
          readings.map((r) => of(r.memory)),
        ),
      );
    const after = readings.at(-1)!.memory;
    return {
      errors: errors.map((e) => `${bot}/memory (open conversations): ${e}`),
      figures: {
        conversations: readings.at(-1)!.opened,
        warmUp: warm.opened,
        heapBytesPerConversation: perConversation((m) => m.heapUsed),
        rssBytesPerConversation: perConversation((m) => m.rss),
        externalBytesPerConversation: perConversation((m) => m.external),
        v8ResidentBytesPerConversation: perConversation((m) => m.v8Resident),
        mallocArenaBytesPerConversation: perConversation((m) => m.mallocMainArena),
        rssBytesPerConversationByStep: rssPerStep,
        after: { heapUsed: after.heapUsed, rss: after.rss, external: after.external, arrayBuffers: after.arrayBuffers, v8Resident: after.v8Resident, mallocMainArena: after.mallocMainArena },
      },
    };
  } finally {
    await server.close();
  }
}

/** CPU a process has used, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
}

/** `npm start`'s process (compiled JavaScript) from spawn to "Forbear is running": CPU and wall time. */
async function startupOnce(): Promise<{ cpuMs: number; wallMs: number }> {
  const entry = join(ROOT, 'dist', 'bot', 'index.js');
  const t0 = performance.now();
  const child = ownChild(
    spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: '', RETENTION_INTERVAL_MIN: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    { reaper: true },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Forbear is running')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`compiled start exited with code ${String(code)} before listening: ${stderr.slice(0, 400)}`)));
    });
    return { cpuMs: processCpuMs(child.pid!), wallMs: performance.now() - t0 };
  } finally {
    child.kill('SIGTERM');
  }
}

/** The newest modification time under the production folders. */
function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestSource(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

/** Start-up is measured on the compiled server; a missing or stale build is rebuilt first. */
function ensureBuild(): void {
  const entry = join(ROOT, 'dist', 'bot', 'index.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (Math.max(...['bot', 'dialogs', 'policy', 'prompts', 'conversation'].map((d) => newestSource(join(ROOT, d)))) <= built) return;
  process.stderr.write('bench: building the compiled server (npm run build)…\n');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function startup(times: number) {
  ensureBuild();
  const samples = [];
  for (let i = 0; i < times; i++) samples.push(await startupOnce());
  return { runs: times, cpuMs: round(median(samples.map((x) => x.cpuMs)), 0), wallMs: round(median(samples.map((x) => x.wallMs)), 0) };
}

function machine() {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // nproc is coreutils; os.cpus() is the fallback.
  }
  return { nproc, cpuModel, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: load };
}

/** One bot's memory figures per open conversation, in KiB. */
function kib(m: { heapBytesPerConversation: number; rssBytesPerConversation: number; externalBytesPerConversation: number; v8ResidentBytesPerConversation: number; mallocArenaBytesPerConversation: number }): string {
  const k = (bytes: number) => (bytes / 1024).toFixed(1);
  return `heap ${k(m.heapBytesPerConversation)} KiB, RSS ${k(m.rssBytesPerConversation)} KiB (V8 resident ${k(m.v8ResidentBytesPerConversation)}, main malloc arena ${k(m.mallocArenaBytesPerConversation)}, external ${k(m.externalBytesPerConversation)})`;
}

function table(rows: (string | number | null)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '-').length)));
  return rows.map((r) => r.map((c, i) => String(c ?? '-').padEnd(widths[i]!)).join('  ')).join('\n');
}

/** A phase had errors: nothing after it is measured. */
class Stop extends Error {}

/**
 * `--allocation`: what a turn allocates, per server (echo and Forbear, memory and Redis), instead of
 * the bench: `conversations` ÷ 2 complete conversations to warm up, then `conversations` measured
 * under V8's sampling heap profiler (bench/server.ts), `concurrency` clients. Statistical, but over
 * hundreds of turns close to deterministic — unlike CPU time on a shared machine. Prints KiB per
 * turn (per message sent; a conversation's start counts with its turns) and the largest sources.
 */
async function allocation(s: Settings, load: Child, redis: BenchRedis): Promise<string[]> {
  const errors: string[] = [];
  for (const store of ['memory', 'redis'] as const) {
    for (const bot of ['echo', 'forbear'] as const) {
      const server = await startServer(bot, store, redis, `bench-allocation:${bot}:`);
      try {
        const open = (count: number) =>
          load.request<{ opened: number; errors: string[] }>({ cmd: 'open', url: server.url, concurrency: s.concurrency, count, script: SCRIPT, account: s.account } satisfies OpenCommand, 'result');
        errors.push(...(await open(Math.ceil(s.conversations / 2))).errors);
        await server.heapStart();
        const measured = await open(s.conversations);
        const heap = await server.heapStop();
        errors.push(...measured.errors);
        const turns = measured.opened * SCRIPT.length;
        const kib = (bytes: number) => (bytes / turns / 1024).toFixed(1);
        const top = Object.entries(heap.bySource).slice(0, 12).map(([source, bytes]) => `${kib(bytes)} ${source}`);
        process.stdout.write(`${bot}/${store}: ${kib(heap.bytes)} KiB allocated per turn (${turns} turns)\n  ${top.join('\n  ')}\n`);
      } finally {
        await server.close();
      }
    }
  }
  return errors;
}

async function main(): Promise<void> {
  const { settings: s, out, chart, profile, allocation: allocationOnly } = readArgs();
  serverProfileDir = profile;
  const startedAt = performance.now();
  const errors: string[] = [];
  const prefix = (bot: Bot) => `bench:${bot}:`;
  const redis = await startBenchRedis();
  const load = await spawnChild('bench/load.ts', {});
  if (allocationOnly) {
    const failed = await allocation(s, load, redis).catch((err: unknown) => [(err as Error).message]);
    load.process.send({ cmd: 'exit' });
    await redis.stop();
    if (failed.length > 0) process.stderr.write(`bench: ${failed.length} errors, no figures to trust:\n${failed.slice(0, 10).join('\n')}\n`);
    process.exit(failed.length > 0 ? 1 : 0);
  }
  const servers: BenchServer[] = [];
  const runs = new Map<string, RunFigures[]>();
  const latencies = new Map<string, number[]>();
  let memory: Record<Bot, Awaited<ReturnType<typeof memoryPerConversation>>['figures']> | null = null;
  let redisBytes: Awaited<ReturnType<BenchRedis['bytesUnder']>> & { conversations: number } = { keys: 0, bytes: 0, bytesAfterADay: 0, byCategory: {}, conversations: 0 };
  let boot: Awaited<ReturnType<typeof startup>> | null = null;
  const sequential: Partial<Record<Bot, { turns: number; redisCommandsPerTurn: number | null; redisRoundTripsPerTurn: number | null }>> = {};
  try {
    for (const store of ['memory', 'redis'] as const) {
      for (const bot of ['echo', 'forbear'] as const) servers.push(await startServer(bot, store, redis, prefix(bot)));
    }
    process.stderr.write(`bench: warm-up…\n`);
    for (const server of servers) {
      const warm = await measuredRun(server, load, redis, { ...s, seconds: Math.min(2, s.seconds) });
      errors.push(...warm.errors);
    }
    if (errors.length > 0) throw new Stop();
    // What the measured runs leave in Redis is counted per conversation; the warm-up's is cleared.
    const completedRedis = { forbear: 0 };
    await redis.flush();
    for (let round = 1; round <= s.rounds; round++) {
      process.stderr.write(`bench: round ${round}/${s.rounds} (echo, forbear; memory, redis; ${s.seconds} s each, ${s.concurrency} clients)\n`);
      for (const server of servers) {
        const run = await measuredRun(server, load, redis, s);
        const key = `${server.bot}/${server.store}`;
        runs.set(key, [...(runs.get(key) ?? []), run.figures]);
        latencies.set(key, [...(latencies.get(key) ?? []), ...run.latencies]);
        errors.push(...run.errors);
        if (server.bot === 'forbear' && server.store === 'redis') completedRedis.forbear += run.figures.conversations;
      }
      if (errors.length > 0) throw new Stop();
    }
    redisBytes = { ...(await redis.bytesUnder(prefix('forbear'))), conversations: completedRedis.forbear };
    // Under load Redis reads several clients' requests at once, so reads per turn understate the
    // round trips one turn waits for; one client alone shows them exactly.
    for (const server of servers.filter((x) => x.store === 'redis')) {
      const run = await measuredRun(server, load, redis, { ...s, concurrency: 1 });
      errors.push(...run.errors);
      sequential[server.bot] = { turns: run.figures.turns, redisCommandsPerTurn: round(run.figures.redisCommandsPerTurn ?? NaN, 1), redisRoundTripsPerTurn: round(run.figures.redisRoundTripsPerTurn ?? NaN, 1) };
    }
    for (const server of servers.splice(0)) await server.close();
    process.stderr.write(`bench: heap and RSS per open conversation (${s.conversations})…\n`);
    const echoMemory = await memoryPerConversation('echo', load, s);
    const forbearMemory = await memoryPerConversation('forbear', load, s);
    errors.push(...echoMemory.errors, ...forbearMemory.errors);
    if (errors.length > 0) throw new Stop();
    memory = { echo: echoMemory.figures, forbear: forbearMemory.figures };
    process.stderr.write('bench: compiled start-up…\n');
    boot = await startup(s.quick ? 1 : 3);
  } catch (err) {
    if (!(err instanceof Stop)) errors.push((err as Error).message);
  } finally {
    for (const server of servers) await server.close().catch(() => undefined);
    load.process.send({ cmd: 'exit' });
    await redis.stop();
    rmSync(CHECKPOINT_DIR, { recursive: true, force: true });
  }

  const scenarios = Object.fromEntries([...runs].map(([key, r]) => [key, summarise(r)]));
  const get = (key: string) => scenarios[key];
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b) : null);
  const ok = errors.length === 0;
  const ratios = ok
    ? {
        cpuPerTurn: {
          memory: ratio(get('forbear/memory')?.cpuMsPerTurn, get('echo/memory')?.cpuMsPerTurn),
          redis: ratio(get('forbear/redis')?.cpuMsPerTurn, get('echo/redis')?.cpuMsPerTurn),
        },
        p50: { memory: ratio(get('forbear/memory')?.latencyMs.p50, get('echo/memory')?.latencyMs.p50), redis: ratio(get('forbear/redis')?.latencyMs.p50, get('echo/redis')?.latencyMs.p50) },
        p99: { memory: ratio(get('forbear/memory')?.latencyMs.p99, get('echo/memory')?.latencyMs.p99), redis: ratio(get('forbear/redis')?.latencyMs.p99, get('echo/redis')?.latencyMs.p99) },
        throughput: {
          memory: ratio(get('echo/memory')?.turnsPerSec, get('forbear/memory')?.turnsPerSec),
          redis: ratio(get('echo/redis')?.turnsPerSec, get('forbear/redis')?.turnsPerSec),
        },
      }
    : null;
  const results = {
    ok,
    measuredAt: new Date().toISOString(),
    machine: machine(),
    settings: { ...s, script: SCRIPT.length, openScript: OPEN_SCRIPT.length },
    errors: errors.slice(0, 50),
    errorCount: errors.length,
    ratios,
    scenarios,
    /** One client alone, so every wait on Redis is its own read event; conversation start and the final fetch included. */
    redisRoundTripsPerTurn: sequential.forbear?.redisRoundTripsPerTurn ?? null,
    redisCommandsPerTurn: sequential.forbear?.redisCommandsPerTurn ?? null,
    redisSequential: sequential,
    heapBytesPerConversation: memory?.forbear.heapBytesPerConversation ?? null,
    rssBytesPerConversation: memory?.forbear.rssBytesPerConversation ?? null,
    redisBytesPerConversation: redisBytes.conversations ? Math.round(redisBytes.bytes / redisBytes.conversations) : null,
    /** Of those, what is still held 24 h later with no further activity: the Direct Line log and rate-limit keys expire before. */
    redisBytesPerConversationAfterADay: redisBytes.conversations ? Math.round(redisBytes.bytesAfterADay / redisBytes.conversations) : null,
    redisBytesPerConversationByKind: Object.fromEntries(
      Object.entries(redisBytes.byCategory).map(([k, v]) => [k, Math.round(v / Math.max(1, redisBytes.conversations))]),
    ),
    startupCpuMs: boot?.cpuMs ?? null,
    startupWallMs: boot?.wallMs ?? null,
    memory,
    totalSeconds: round((performance.now() - startedAt) / 1000, 1),
  };
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  if (latencies.size > 0) writeFileSync(chart, latencyChart(latencies, results.measuredAt, results.machine));

  const rows: (string | number | null)[][] = [['run', 'turns', 'turns/s', 'CPU ms/turn', 'p50 ms', 'p95 ms', 'p99 ms', 'Redis cmds/turn', 'Redis reads/turn']];
  for (const [key, v] of Object.entries(scenarios)) {
    rows.push([key, v.turns, v.turnsPerSec, v.cpuMsPerTurn, v.latencyMs.p50, v.latencyMs.p95, v.latencyMs.p99, v.redisCommandsPerTurn, v.redisRoundTripsPerTurn]);
  }
  process.stdout.write(`${table(rows)}\n(medians of ${s.rounds} interleaved round(s))\n\n`);
  if (!ok) {
    process.stdout.write(`bench FAILED: ${errors.length} error(s); no ratios are given.\n  ${[...new Set(errors)].slice(0, 20).join('\n  ')}\n`);
    process.exitCode = 1;
  } else {
    const r = ratios!;
    process.stdout.write(
      `Forbear ÷ echo: CPU/turn ×${r.cpuPerTurn.memory} (memory), ×${r.cpuPerTurn.redis} (redis); p99 ×${r.p99.memory} (memory), ×${r.p99.redis} (redis)\n`,
    );
  }
  if (memory) {
    process.stdout.write(
      `per open conversation (${memory.forbear.conversations} after a warm-up of ${memory.forbear.warmUp}; slopes over ${MEMORY_STEPS + 1} readings): ${kib(memory.forbear)} (echo: ${kib(memory.echo)})\n` +
        `  RSS per conversation in ${MEMORY_STEPS} equal steps, KiB: forbear ${memory.forbear.rssBytesPerConversationByStep.map((x) => (x / 1024).toFixed(0)).join(' ')}; echo ${memory.echo.rssBytesPerConversationByStep.map((x) => (x / 1024).toFixed(0)).join(' ')}\n`,
    );
  }
  if (results.redisBytesPerConversation !== null) {
    process.stdout.write(
      `Redis per completed conversation: ${(results.redisBytesPerConversation / 1024).toFixed(1)} KiB (${((results.redisBytesPerConversationAfterADay ?? 0) / 1024).toFixed(1)} KiB still held a day later) ${JSON.stringify(results.redisBytesPerConversationByKind)}\n`,
    );
  }
  for (const [bot, v] of Object.entries(sequential)) process.stdout.write(`Redis per turn, one client alone (${bot}): ${v.redisRoundTripsPerTurn} round trips, ${v.redisCommandsPerTurn} commands\n`);
  if (boot) process.stdout.write(`compiled start-up to listening: ${boot.cpuMs} ms CPU, ${boot.wallMs} ms wall\n`);
  process.stdout.write(`machine: ${results.machine.nproc} × ${results.machine.cpuModel}, node ${results.machine.node}, load ${results.machine.loadAverage.join(' ')}; ${results.totalSeconds} s\nwritten to ${out} and ${chart}\n`);
}

await main();
