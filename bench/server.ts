/**
 * One bench server, in its own process so its CPU counters measure the server alone (the load
 * generator is another process). `BENCH_BOT=forbear` is the product exactly as `npm start` builds it;
 * `BENCH_BOT=echo` is the floor: restify with the body parser the routes need, the same Direct Line
 * routes, adapter and activity log, and a bot that echoes while keeping a turn counter in the same
 * conversation-state store (memory or Redis) — nothing else: no hardening, lock, typing or transcript.
 *
 * Speaks to the bench over IPC: it sends `{ready, url}`; it answers `cpu` (process.cpuUsage),
 * `memory` (after two full collections, with where the resident pages are), `heapStart` / `heapStop`
 * (allocation sampling, `--allocation`) and `close`.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import restify from 'restify';
import { ActivityHandler, ConversationState, MemoryStorage, type TurnContext } from 'botbuilder';
import { createForbear } from '../bot/app.js';
import { DemoAccountService } from '../bot/accounts/demoAccountService.js';
import { systemClock } from '../conversation/clock.js';
import type { AccountService, CardholderRecord, VerificationRequest } from '../conversation/accounts.js';
import { loadPolicy } from '../policy/index.js';
import { loadConfig } from '../bot/config.js';
import { createLogger } from '../bot/logger.js';
import { startServer } from '../bot/server.js';
import { registerDirectLine } from '../bot/channels/directline/routes.js';
import { RedisConversationLog } from '../bot/channels/directline/redisStore.js';
import { openStores } from '../bot/storage/index.js';
import { exitWithParent } from './children.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The floor: echoes every message, keeping a turn counter in conversation state. */
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

  override async run(context: TurnContext): Promise<void> {
    await super.run(context);
    await this.state.saveChanges(context, false);
  }
}

async function echoServer(env: NodeJS.ProcessEnv): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig(env);
  const stores = config.redis ? await openStores(config.redis) : null;
  const storage = stores?.storage ?? new MemoryStorage();
  const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ mapParams: false }));
  const directLine = registerDirectLine(server, {
    bot: new EchoBot(new ConversationState(storage)),
    config,
    ...(stores?.redis ? { log: new RedisConversationLog(stores.redis.client, stores.redis.keys, config.DIRECTLINE_CONVERSATION_TTL_SEC, config.UNSTARTED_CONVERSATION_TTL_SEC) } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: async () => {
      directLine.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stores?.close();
    },
  };
}

/**
 * Every bench conversation is its own cardholder, as in real traffic: the demo account's figures
 * and answers under the account id the client names (`<demo id>~<n>`). With one shared demo
 * account, each conversation would add an agreement to the same cardholder, and the per-account
 * look-ups of later turns would grow with the length of the run.
 */
class OneCardholderPerConversation implements AccountService {
  private readonly timezones = new Map<string, string>();
  private readonly demo = new DemoAccountService(systemClock, (policyId) => {
    // Policies are parsed once, as the product's own policy book does.
    if (!this.timezones.has(policyId)) this.timezones.set(policyId, loadPolicy(policyId).timezone);
    return this.timezones.get(policyId)!;
  });

  private static alias(record: CardholderRecord | null, accountId: string): CardholderRecord | null {
    return record && { ...record, account: { ...record.account, accountId } };
  }

  async verify(request: VerificationRequest): Promise<CardholderRecord | null> {
    const demoId = request.accountRef?.split('~')[0] ?? null;
    return OneCardholderPerConversation.alias(await this.demo.verify({ ...request, accountRef: demoId }), request.accountRef ?? '');
  }

  async get(accountId: string): Promise<CardholderRecord | null> {
    return OneCardholderPerConversation.alias(await this.demo.get(accountId.split('~')[0]!), accountId);
  }
}

async function forbearServer(env: NodeJS.ProcessEnv): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig(env);
  // The system clock, as in production: reminders of the agreements the bench makes are scheduled
  // for their real dates, not run at once as a clock fixed in the past would make them.
  const forbear = await createForbear({ config, logger: createLogger('silent'), accounts: new OneCardholderPerConversation() });
  const running = await startServer(forbear, config);
  return { url: running.url, close: () => running.close() };
}

/** `global.gc` without asking for node flags: V8 lets a running process expose it. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

/**
 * Where the resident pages are, beside process.memoryUsage(): V8's heap pages that are resident
 * (`v8Resident`), the main malloc arena (`mallocMainArena`, the `[heap]` mapping: Buffers' bytes
 * and their C++ records, zlib's state) and the other anonymous mappings (V8's pages, other
 * threads' arenas), from /proc/self/smaps.
 */
function residentPages(): { v8Resident: number; mallocMainArena: number; otherAnonymous: number } {
  const v8Resident = v8.getHeapSpaceStatistics().reduce((sum, space) => sum + space.physical_space_size, 0);
  let mallocMainArena = 0;
  let otherAnonymous = 0;
  let mapping = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) mapping = header[1]!;
    else if (line.startsWith('Rss:')) {
      const bytes = Number(line.split(/\s+/)[1]) * 1024;
      if (mapping === '[heap]') mallocMainArena += bytes;
      else if (mapping === '' || mapping.startsWith('[anon')) otherAnonymous += bytes;
    }
  }
  return { v8Resident, mallocMainArena, otherAnonymous };
}

exitWithParent();
const send = (message: object) => process.send?.(message);
const gc = collector();
const bot = process.env['BENCH_BOT'];
const running = bot === 'echo' ? await echoServer(process.env) : bot === 'forbear' ? await forbearServer(process.env) : null;
if (!running) {
  process.stderr.write('bench server: BENCH_BOT must be echo or forbear\n');
  process.exit(2);
}
/**
 * `npm run bench -- --allocation`: V8's sampling heap profiler over a window the bench chooses
 * (`heapStart`, `heapStop`), objects already collected included — what the window allocated, not
 * what it kept: the garbage a turn makes is what its collections cost.
 */
let sampling: Session | null = null;

async function startSampling(): Promise<void> {
  sampling = new Session();
  sampling.connect();
  await sampling.post('HeapProfiler.enable');
  // One sample every 256 bytes on average; the collected-object flags are V8's (not in Node's types).
  await sampling.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
}

interface HeapNode {
  callFrame: { url: string };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated in the window, in all and by where the allocating function is (a package, a file of ours, or V8/Node). */
async function stopSampling(): Promise<{ bytes: number; bySource: Record<string, number> }> {
  const { profile } = (await sampling!.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
  sampling!.disconnect();
  sampling = null;
  const bySource = new Map<string, number>();
  let bytes = 0;
  const walk = (node: HeapNode) => {
    bytes += node.selfSize;
    const url = node.callFrame.url;
    const source = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url || '(V8)');
    bySource.set(source, (bySource.get(source) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  return { bytes, bySource: Object.fromEntries([...bySource].sort((a, b) => b[1] - a[1])) };
}

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'heapStart') {
    startSampling().then(() => send({ heapStarted: true }));
  } else if (message.cmd === 'heapStop') {
    stopSampling().then((heap) => send({ heap }));
  } else if (message.cmd === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ cpuMicros: user + system });
  } else if (message.cmd === 'memory') {
    gc();
    send({ memory: { ...process.memoryUsage(), ...residentPages() } });
  } else if (message.cmd === 'close') {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
send({ ready: true, url: running.url });
