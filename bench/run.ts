/**
 * `npm run bench`: how much load one Forbear instance carries, measured against a floor.
 *
 * The full server (`createForbear` + `startServer`: hardening, Direct Line, lock and transcript
 * middleware) is driven over HTTP by concurrent Direct Line clients, each running complete
 * negotiations (verify, intake, offer, agree). The same run puts a trivial echo bot behind the
 * very same server stack and state store, so Forbear's cost is stated as a ratio to that floor —
 * absolute numbers on a shared machine are noise, ratios from one run are what count. Both run
 * with in-memory state and with Redis. Also: policy `evaluate` calls per second and heap per open
 * conversation. Writes bench/results.json; about 40 s in all.
 */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ActivityHandler, ConversationState, type Activity } from 'botbuilder';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createForbear, type Forbear } from '../bot/app.js';
import { LocalAdapter } from '../bot/channels/local.js';
import { fixedClock } from '../bot/clock.js';
import { loadConfig } from '../bot/config.js';
import type { ForbearBot } from '../bot/forbearBot.js';
import { createLogger } from '../bot/logger.js';
import { startServer } from '../bot/server.js';
import { evaluate } from '../policy/index.js';
import { demoAccount } from '../policy/demo-accounts.js';
import { loadPolicy } from '../policy/load.js';
import { Account } from '../policy/model.js';

const Args = z.object({
  concurrency: z.coerce.number().int().min(1).max(1000).default(32),
  seconds: z.coerce.number().min(1).max(60).default(6),
  conversations: z.coerce.number().int().min(10).max(20_000).default(500),
  redis: z.url().default(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
  out: z.string().default('bench/results.json'),
});
type Args = z.infer<typeof Args>;

function readArgs(): Args {
  try {
    const { values } = parseArgs({
      options: {
        concurrency: { type: 'string' },
        seconds: { type: 'string' },
        conversations: { type: 'string' },
        redis: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    const parsed = Args.safeParse(values);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new Error(`--${issue.path.join('.')}: ${issue.message}`);
  } catch (err) {
    process.stderr.write(
      `bench: ${(err as Error).message}\nusage: npm run bench -- [--concurrency N] [--seconds S] [--conversations K] [--redis URL] [--out FILE]\n`,
    );
    process.exit(2);
  }
}

/** A complete negotiation for the demo cardholder 王小明 (M1): verify, intake, an affordable offer, consent. */
const SCRIPT = ['我这个月还不上了', '4821', '1988-03-14', '我失业了', '20000', '5000', '好的', '同意'];
const DEMO_ACCOUNT = 'cn-m1-wang';

/** The server as the bench runs it: loopback, quiet, and rate limits far above what the clients send. */
function benchEnv(redis: { url: string; prefix: string } | null): NodeJS.ProcessEnv {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DIRECTLINE_SECRET: 'bench-secret-bench-secret-bench-secret',
    RATE_LIMIT_IP_PER_SEC: '100000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_CONVERSATION_PER_MIN: '100000',
    RATE_LIMIT_CONVERSATION_BURST: '100000',
    ...(redis
      ? {
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: redis.prefix,
          TRANSCRIPT_HMAC_KEY: 'bench-chain-key-bench-chain-key-bench-chain',
          TRANSCRIPT_CHECKPOINT_DIR: join(tmpdir(), `forbear-bench-checkpoints-${process.pid}`),
        }
      : {}),
  };
}

/** The floor: echoes every message, keeping a turn counter in the same conversation-state store. */
class EchoBot extends ActivityHandler {
  constructor(private readonly state: ConversationState) {
    super();
    const turns = state.createProperty<number>('turns');
    this.onMessage(async (context, next) => {
      const n = (await turns.get(context, 0)) + 1;
      await turns.set(context, n);
      await context.sendActivity(`${String(n)}: ${context.activity.text ?? ''}`);
      await next();
    });
  }

  override async run(context: Parameters<ActivityHandler['run']>[0]): Promise<void> {
    await super.run(context);
    await this.state.saveChanges(context, false);
  }
}

interface Client {
  post(path: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  get(path: string, token: string): Promise<{ status: number; json: Record<string, unknown> }>;
}

function client(base: string): Client {
  const call = async (method: string, path: string, body: unknown, token?: string) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return { post: (path, body, token) => call('POST', path, body, token), get: (path, token) => call('GET', path, undefined, token) };
}

/** One Direct Line conversation through the script; returns each turn's latency (ms) and whether it ended in an agreement. */
async function negotiate(http: Client, expectAgreement: boolean): Promise<{ latencies: number[]; ok: boolean }> {
  const issued = await http.post('/v3/directline/tokens/generate', {});
  const token = issued.json.token as string;
  const started = await http.post('/v3/directline/conversations', { locale: 'zh-CN' }, token);
  if (started.status >= 300) throw new Error(`start conversation: HTTP ${started.status}`);
  const id = started.json.conversationId as string;
  const latencies: number[] = [];
  for (const text of SCRIPT) {
    const t0 = performance.now();
    const res = await http.post(
      `/v3/directline/conversations/${id}/activities`,
      { type: 'message', from: { id: `bench-${id}` }, text, locale: 'zh-CN', channelData: { accountRef: DEMO_ACCOUNT } },
      token,
    );
    latencies.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`turn "${text}": HTTP ${res.status} ${JSON.stringify(res.json)}`);
  }
  const log = await http.get(`/v3/directline/conversations/${id}/activities`, token);
  const activities = (log.json.activities ?? []) as Partial<Activity>[];
  const agreed = activities.some((a) => a.type === 'event' && a.name === 'agreement');
  return { latencies, ok: expectAgreement ? agreed : activities.filter((a) => a.from?.role !== 'user').length >= SCRIPT.length };
}

const Latency = z.object({ p50: z.number(), p95: z.number(), p99: z.number(), mean: z.number() });
function latencyOf(samples: number[]): z.infer<typeof Latency> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)) };
}
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

const Scenario = z.object({
  bot: z.enum(['forbear', 'echo']),
  store: z.enum(['memory', 'redis']),
  conversations: z.number().int(),
  completed: z.number().int(),
  turns: z.number().int(),
  errors: z.number().int(),
  seconds: z.number(),
  turnsPerSec: z.number(),
  latencyMs: Latency,
});
type Scenario = z.infer<typeof Scenario>;

async function runScenario(bot: 'forbear' | 'echo', store: 'memory' | 'redis', args: Args, prefix: string): Promise<Scenario> {
  const env = benchEnv(store === 'redis' ? { url: args.redis, prefix } : null);
  const config = loadConfig(env);
  const forbear = await createForbear({ config, env, logger: createLogger('silent'), clock: fixedClock('2026-03-02T02:00:00Z') });
  let target: Forbear = forbear;
  if (bot === 'echo') {
    // startServer only calls bot.run; the echo bot stands in for ForbearBot on that one method.
    target = { ...forbear, bot: new EchoBot(new ConversationState(forbear.stores.storage)) as unknown as ForbearBot };
  }
  const server = await startServer(target, config, env);
  const http = client(server.url);
  const latencies: number[] = [];
  let conversations = 0;
  let completed = 0;
  let errors = 0;
  const deadline = performance.now() + args.seconds * 1000;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      conversations++;
      try {
        const run = await negotiate(http, bot === 'forbear');
        latencies.push(...run.latencies);
        if (run.ok) completed++;
      } catch (err) {
        errors++;
        if (errors === 1) process.stderr.write(`  ${bot}/${store}: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await server.close();
  return Scenario.parse({
    bot,
    store,
    conversations,
    completed,
    turns: latencies.length,
    errors,
    seconds: round(seconds),
    turnsPerSec: round(latencies.length / seconds, 1),
    latencyMs: latencyOf(latencies),
  });
}

/** Policy decisions per second: the pure function in a loop, on a proposal that needs real pricing. */
function evaluateRate(): number {
  const policy = loadPolicy('default-cn');
  const account = Account.parse(demoAccount(DEMO_ACCOUNT));
  const assessment = { asOf: '2026-03-02', hardshipReason: 'job_loss', monthlyIncomeMinor: 2_000_000, essentialExpensesMinor: 500_000, expectedDurationMonths: null, signals: [] };
  const proposals = [{ monthlyPaymentMinor: 300_000 }, { months: 24 }, { months: 6, feeWaiverBps: 5000 }, { settlementDiscountBps: 9000 }];
  let calls = 0;
  const until = performance.now() + 2000;
  const t0 = performance.now();
  while (performance.now() < until) {
    for (const p of proposals) evaluate(policy, account, assessment, p);
    calls += proposals.length;
  }
  return Math.round(calls / ((performance.now() - t0) / 1000));
}

/** `global.gc` without asking the user for node flags: V8 lets a running process expose it. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Heap held per open conversation: K conversations brought to the offer stage on in-memory state. */
async function memoryPerConversation(k: number): Promise<{ conversations: number; bytesPerConversation: number }> {
  const gc = collector();
  const env = benchEnv(null);
  const forbear = await createForbear({ config: loadConfig(env), env, logger: createLogger('silent'), clock: fixedClock('2026-03-02T02:00:00Z') });
  const channel = new LocalAdapter(forbear.bot, 'bench');
  channel.use(forbear.transcriptMiddleware);
  const open = async (id: string) => {
    const message = { locale: 'zh-CN', channelData: { accountRef: DEMO_ACCOUNT } };
    await channel.join(id, message);
    // Stops with the offer on the table: an open negotiation, not a closed one.
    for (const text of SCRIPT.slice(0, 6)) await channel.send(id, { ...message, text });
  };
  await open('warm-up');
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < k; i++) await open(`open-${String(i)}`);
  gc();
  const after = process.memoryUsage().heapUsed;
  await forbear.close();
  return { conversations: k, bytesPerConversation: Math.round((after - before) / k) };
}

async function deletePrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
    if (keys.length) deleted += await redis.unlink(...keys);
  }
  redis.disconnect();
  return deleted;
}

function machine() {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    nproc = Number(execSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // nproc is coreutils; os.cpus() is the fallback.
  }
  return { nproc, cpuModel, node: process.version, platform: `${process.platform}-${process.arch}` };
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const args = readArgs();
  const startedAt = performance.now();
  const prefix = `forbear-bench:${process.pid}:${Date.now().toString(36)}:`;
  const scenarios: Scenario[] = [];
  const failures: string[] = [];
  try {
    for (const store of ['memory', 'redis'] as const) {
      for (const bot of ['echo', 'forbear'] as const) {
        process.stderr.write(`bench: ${bot} on ${store} state, ${args.concurrency} concurrent conversations, ${args.seconds} s…\n`);
        try {
          scenarios.push(await runScenario(bot, store, args, `${prefix}${bot}:`));
        } catch (err) {
          failures.push(`${bot}/${store}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    try {
      await deletePrefix(args.redis, prefix);
    } catch (err) {
      failures.push(`redis cleanup: ${(err as Error).message}`);
    }
  }
  process.stderr.write('bench: policy evaluate loop…\n');
  const evaluatePerSec = evaluateRate();
  process.stderr.write(`bench: heap per open conversation (${args.conversations})…\n`);
  const memory = await memoryPerConversation(args.conversations);

  const find = (bot: string, store: string) => scenarios.find((s) => s.bot === bot && s.store === store);
  const overhead = (['memory', 'redis'] as const).flatMap((store) => {
    const f = find('forbear', store);
    const e = find('echo', store);
    return f && e
      ? [{ store, p50Ratio: round(f.latencyMs.p50 / e.latencyMs.p50), p95Ratio: round(f.latencyMs.p95 / e.latencyMs.p95), throughputRatio: round(e.turnsPerSec / f.turnsPerSec) }]
      : [];
  });
  const results = {
    measuredAt: new Date().toISOString(),
    machine: machine(),
    settings: { concurrency: args.concurrency, secondsPerScenario: args.seconds, script: SCRIPT.length, account: DEMO_ACCOUNT },
    scenarios,
    overhead,
    evaluatePerSec,
    memory,
    failures,
    totalSeconds: round((performance.now() - startedAt) / 1000, 1),
  };
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);

  const rows: (string | number)[][] = [['bot', 'state', 'conversations', 'agreed', 'errors', 'turns/s', 'p50 ms', 'p95 ms', 'p99 ms']];
  for (const s of scenarios) {
    rows.push([s.bot, s.store, s.conversations, s.bot === 'forbear' ? s.completed : '-', s.errors, s.turnsPerSec, s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.p99]);
  }
  process.stdout.write(`${table(rows)}\n\n`);
  for (const o of overhead) {
    process.stdout.write(`Forbear vs echo floor (${o.store}): p50 ×${o.p50Ratio}, p95 ×${o.p95Ratio}, throughput ÷${o.throughputRatio}\n`);
  }
  process.stdout.write(`policy evaluate: ${evaluatePerSec.toLocaleString('en-US')} calls/s\n`);
  process.stdout.write(`heap per open conversation: ${(memory.bytesPerConversation / 1024).toFixed(1)} KiB (${memory.conversations} conversations)\n`);
  process.stdout.write(`machine: ${results.machine.nproc} × ${results.machine.cpuModel}, node ${results.machine.node}; ${results.totalSeconds} s\n`);
  if (failures.length) {
    process.stdout.write(`failures:\n  ${failures.join('\n  ')}\n`);
    process.exitCode = 1;
  }
  process.stdout.write(`written to ${args.out}\n`);
}

await main();
