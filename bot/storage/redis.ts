/**
 * The Redis connection every store shares. Tuned to fail fast and visibly: no offline queue (a
 * command while disconnected fails at once instead of piling up behind a dead socket), a short
 * connect and command timeout, one retry per request; meanwhile the client keeps reconnecting in
 * the background, so the first command after Redis returns simply works.
 */
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Redis, Cluster, RedisOptions, ClusterOptions } from 'ioredis';
import { z } from 'zod';
import { optionalIntFromEnv, optionalString, parseEnv } from '../http/env.js';
import { guarded } from './errors.js';
import { KeyPrefix, RedisKeys } from './keys.js';

export { StoreUnavailableError } from './errors.js';

export type RedisClient = Redis | Cluster;

const DAY_SEC = 24 * 60 * 60;

export const RedisSettings = z
  .object({
    /** Single node (or a Sentinel-less primary): `redis://[user:pass@]host:port[/db]`, `rediss://` for TLS. */
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    /** Redis Cluster seed nodes, `redis://[user:pass@]host:port` or bare `host:port`; wins over `url`. */
    clusterNodes: z.array(z.string().min(1)).min(1).optional(),
    prefix: KeyPrefix.default('forbear:'),
    /** Idle conversation state expires this long after its last write; 0 keeps it forever. */
    stateTtlSec: z.number().int().min(0).default(30 * DAY_SEC),
    connectTimeoutMs: z.number().int().min(50).default(1000),
    commandTimeoutMs: z.number().int().min(50).default(2000),
    /** Longest pause between reconnection attempts. */
    maxReconnectDelayMs: z.number().int().min(10).default(2000),
  })
  .refine((s) => s.url !== undefined || s.clusterNodes !== undefined, 'needs url or clusterNodes');
export type RedisSettings = z.infer<typeof RedisSettings>;
export type RedisSettingsInput = z.input<typeof RedisSettings>;

const RedisEnv = z.object({
  REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional()),
  REDIS_CLUSTER_NODES: optionalString.transform((v) => v?.split(',').map((n) => n.trim()).filter(Boolean)),
  REDIS_KEY_PREFIX: optionalString.pipe(KeyPrefix.optional()),
  REDIS_STATE_TTL_SEC: optionalIntFromEnv(0, 2_147_483_647),
});

/** Settings from the environment, or null when neither REDIS_URL nor REDIS_CLUSTER_NODES is set (embedded mode). */
export function loadRedisSettings(env: NodeJS.ProcessEnv = process.env): RedisSettings | null {
  const e = parseEnv(RedisEnv, env);
  if (e.REDIS_URL === undefined && (e.REDIS_CLUSTER_NODES === undefined || e.REDIS_CLUSTER_NODES.length === 0)) return null;
  return RedisSettings.parse({ url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES, prefix: e.REDIS_KEY_PREFIX, stateTtlSec: e.REDIS_STATE_TTL_SEC });
}

export const StoreHealth = z.object({
  status: z.enum(['up', 'down']),
  backend: z.enum(['memory', 'redis', 'redis-cluster']),
  error: z.string().optional(),
});
export type StoreHealth = z.infer<typeof StoreHealth>;

export interface RedisConnection {
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  readonly settings: RedisSettings;
  /** Readiness: a PING round trip within the command timeout. Never throws. */
  health(): Promise<StoreHealth>;
  /** Waits (bounded) for the first connection; false if Redis is not there yet. The client keeps trying either way. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Connection events (error, reconnecting, ready) for the log; ioredis prints unhandled errors otherwise. */
  onEvent?: (event: 'error' | 'reconnecting' | 'ready' | 'end', detail?: string) => void;
  /** Distinguishes the instances' connections in CLIENT LIST. */
  connectionName?: string;
}

function nodeOptions(settings: RedisSettings, connectionName: string | undefined): RedisOptions {
  return {
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    enableOfflineQueue: false,
    // Commands issued in one tick (a Promise.all of independent reads or writes) go out as one
    // pipeline: one round trip instead of one each. On a Cluster they are grouped per node.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, settings.maxReconnectDelayMs),
    connectionName,
  };
}

function parseNode(node: string): { host: string; port: number; username?: string; password?: string; tls: boolean } {
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
  };
}

let ioredisModule: typeof IORedis | undefined;
/**
 * ioredis, loaded when the first connection is made rather than with this module: an embedded
 * start (no REDIS_URL) never loads it. The same CommonJS module an `import` gives (no ESM entry).
 */
export const ioredis = (): typeof IORedis => (ioredisModule ??= createRequire(import.meta.url)('ioredis') as typeof IORedis);

export function connectRedis(input: RedisSettingsInput, options: ConnectOptions = {}): RedisConnection {
  const settings = RedisSettings.parse(input);
  const base = nodeOptions(settings, options.connectionName);
  let client: RedisClient;
  if (settings.clusterNodes) {
    const nodes = settings.clusterNodes.map(parseNode);
    const first = nodes[0]!;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // This client's own list (ioredis shares its default array between clients): the scripts
      // whose key count is their first argument add their names to it (`defineVariadicScript`).
      autoPipeliningIgnoredCommands: [],
      maxRedirections: 8,
      clusterRetryStrategy: (times) => Math.min(times * 100, settings.maxReconnectDelayMs),
      redisOptions: {
        ...base,
        username: first.username,
        password: first.password,
        tls: first.tls ? {} : undefined,
      },
    };
    client = new (ioredis().Cluster)(nodes.map(({ host, port }) => ({ host, port })), clusterOptions);
  } else {
    client = new (ioredis().Redis)(settings.url!, base);
  }
  const emit = options.onEvent ?? (() => {});
  client.on('error', (e: Error) => emit('error', e.message));
  client.on('reconnecting', () => emit('reconnecting'));
  client.on('ready', () => emit('ready'));
  client.on('end', () => emit('end'));
  const backend = settings.clusterNodes ? 'redis-cluster' : 'redis';

  return {
    client,
    keys: new RedisKeys(settings.prefix),
    settings,
    async health() {
      try {
        await guarded(() => client.ping());
        return { status: 'up', backend };
      } catch (error) {
        return { status: 'down', backend, error: error instanceof Error ? error.message : String(error) };
      }
    },
    async ready(timeoutMs = settings.connectTimeoutMs * 3) {
      if (client.status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ok);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on('ready', onReady);
      });
    },
    async close() {
      client.disconnect();
    },
  };
}

/**
 * Registers a Lua script whose key count varies, so that it is the call's first argument (ioredis
 * `defineCommand` without `numberOfKeys`), once per client, and returns a caller. On a Cluster,
 * ioredis's auto-pipelining picks a custom command's node by its first argument — here the count,
 * not a key — so the script could share a pipeline with commands for another node, which ioredis then
 * refuses whole ("All keys in the pipeline should belong to the same slots allocation group"); there
 * it is sent on its own, routed by its real keys. On a single node every command shares one pipeline.
 * `lua` is built only when the script is first registered on the client.
 */
export function defineVariadicScript<R>(client: RedisClient, name: string, lua: () => string): (keys: string[], args: Array<string | number | Buffer>) => Promise<R> {
  const commands = client as unknown as Record<string, (...a: Array<string | number | Buffer>) => Promise<R>>;
  if (typeof commands[name] !== 'function') {
    client.defineCommand(name, { lua: lua() });
    if (client instanceof ioredis().Cluster) client.options.autoPipeliningIgnoredCommands?.push(name);
  }
  return (keys, args) => commands[name]!.call(client, keys.length, ...keys, ...args);
}

/**
 * Registers a Lua script once per client (ioredis `defineCommand`: EVALSHA, falling back to EVAL
 * when the server does not know the script yet, e.g. after a restart) and returns a typed caller.
 */
export function defineScript(
  client: RedisClient,
  name: string,
  numberOfKeys: number,
  lua: string,
  replies: 'text' | 'buffers' = 'text',
): (keys: string[], args: Array<string | number | Buffer>) => Promise<unknown> {
  const commands = client as unknown as Record<string, (...a: Array<string | number | Buffer>) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') client.defineCommand(name, { numberOfKeys, lua });
  // ioredis defines `<name>Buffer` beside each command: bulk replies as Buffers (binary values).
  const command = replies === 'buffers' ? `${name}Buffer` : name;
  return (keys, args) => commands[command]!.call(client, ...keys, ...args);
}
