/**
 * Bot instances for scale-out tests: each one is the real product (`createForbear` + `startServer`)
 * on its own port with its own Redis connection, all sharing one Redis (a key prefix per test file)
 * and one Direct Line secret, as N processes behind a load balancer would. A small Direct Line
 * client talks to them over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Activity } from 'botbuilder';
import { createForbear, type Forbear } from '../../bot/app.js';
import { fixedClock } from '../../conversation/clock.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { startServer, type RunningServer } from '../../bot/server.js';
import { openStores, type OpenStoresOptions } from '../../bot/storage/index.js';
import { connectRedis, type RedisConnection, type RedisSettingsInput } from '../../bot/storage/redis.js';
import type { Understanding } from '../../conversation/understanding.js';
import type { AccountService } from '../../conversation/accounts.js';
import { Redis } from 'ioredis';
import { startOwnedRedis, type OwnedRedis } from './redisServer.js';
import { until } from './until.js';
import { call, type HttpReply } from './http.js';

export { call, type HttpReply };

/** Every instance must verify the others' tokens, so they share the secret (as N processes would). */
const SHARED_SECRET = 'scale-test-secret-scale-test-secret-0123';
/** …and seal transcripts with one key, anchoring them in one checkpoint directory (a shared volume in production). */
const SHARED_CHAIN_KEY = 'scale-test-chain-key-scale-test-chain-key';
const SHARED_CHECKPOINT_DIR = mkdtempSync(join(tmpdir(), 'forbear-fleet-checkpoints-'));

/** A fixed day, so the demo accounts' arrears and the offers are the same on every run. */
export const TEST_CLOCK = fixedClock('2026-11-22T02:00:00Z');

/**
 * Runs `setup` once before the file's tests. If it throws (no Redis, no redis-server binary),
 * every test fails with that error: a failing beforeAll alone would only mark them skipped.
 */
export function setUpOnce(setup: () => Promise<void>): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await setup();
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
}

export interface Instance {
  readonly name: string;
  readonly forbear: Forbear;
  readonly server: RunningServer;
  /** `http://127.0.0.1:<port>` without the trailing slash. */
  readonly base: string;
}

export interface InstanceOptions {
  env?: Record<string, string>;
  stores?: OpenStoresOptions;
  understanding?: Understanding;
  accounts?: AccountService;
}

/**
 * For a test file: a redis-server of its own (not persistent) and a plain client on it, started once
 * before the file's tests and gone after them — after the file's own `afterAll` hooks, which run
 * first, so whatever the file connected is closed before its server goes. `url` and `admin` are
 * there inside the tests and hooks.
 */
export function useOwnedRedis(): { readonly url: string; readonly admin: Redis } {
  let redis: OwnedRedis | undefined;
  let admin: Redis | undefined;
  setUpOnce(async () => {
    redis = await startOwnedRedis({ persistent: false });
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.dispose();
  });
  return {
    get url() {
      return redis!.url;
    },
    get admin() {
      return admin!;
    },
  };
}

/**
 * `useOwnedRedis` with Forbear's own connection to it (`connectRedis`, keys under `prefix`), for a
 * file that counts what Forbear's scripts send: ready before the file's tests, closed after the
 * file's own `afterAll` hooks and before the server goes.
 */
export function useOwnedRedisConnection(prefix: string): { readonly url: string; readonly admin: Redis; readonly connection: RedisConnection } {
  const owned = useOwnedRedis();
  let connection: RedisConnection | undefined;
  setUpOnce(async () => {
    connection = connectRedis({ url: owned.url, prefix });
    await connection.ready();
  });
  afterAll(async () => {
    await connection?.close();
  });
  return {
    get url() {
      return owned.url;
    },
    get admin() {
      return owned.admin;
    },
    get connection() {
      return connection!;
    },
  };
}

/**
 * Two instances on one Redis key prefix (as N processes behind a load balancer), started once for
 * the file and closed after it; `a` and `b` are there inside the tests.
 */
export function useTwoInstances(redis: () => RedisSettingsInput): { readonly a: Instance; readonly b: Instance } {
  let a: Instance | undefined;
  let b: Instance | undefined;
  setUpOnce(async () => {
    [a, b] = await Promise.all([startInstance('a', redis()), startInstance('b', redis())]);
  });
  afterAll(async () => {
    await Promise.all([a?.server.close(), b?.server.close()]);
  });
  return {
    get a() {
      return a!;
    },
    get b() {
      return b!;
    },
  };
}

export async function startInstance(name: string, redis: RedisSettingsInput, options: InstanceOptions = {}): Promise<Instance> {
  const fullEnv = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DIRECTLINE_SECRET: SHARED_SECRET,
    TRANSCRIPT_HMAC_KEY: SHARED_CHAIN_KEY,
    TRANSCRIPT_CHECKPOINT_DIR: SHARED_CHECKPOINT_DIR,
    // All test traffic comes from 127.0.0.1 and scripts type faster than people: lift the
    // hardening limits for the test (the limits themselves are tested by the hardening tests).
    RATE_LIMIT_IP_PER_SEC: '100000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_CONVERSATION_PER_MIN: '100000',
    RATE_LIMIT_CONVERSATION_BURST: '100000',
    ...options.env,
  };
  const config = loadConfig(fullEnv);
  const stores = await openStores(redis, { connectionName: name, ...options.stores });
  const forbear = await createForbear({
    config,
    stores,
    clock: TEST_CLOCK,
    logger: createLogger('silent'),
    ...(options.understanding ? { understanding: options.understanding } : {}),
    ...(options.accounts ? { accounts: options.accounts } : {}),
  });
  const server = await startServer(forbear, config);
  return { name, forbear, server, base: server.url.replace(/\/$/, '') };
}


async function ok(reply: Promise<HttpReply>, what: string): Promise<HttpReply> {
  const r = await reply;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export interface Posted {
  status: number;
  body: unknown;
  headers: Headers;
}

/** One cardholder's Direct Line conversation; each call may go to any instance. */
export class Cardholder {
  private constructor(
    readonly conversationId: string,
    private readonly token: string,
    readonly locale: string,
  ) {}

  /** Gets a token from one instance and opens the conversation on another (they share the secret). */
  static async open(tokenFrom: Instance, openOn: Instance, locale = 'zh-CN'): Promise<Cardholder> {
    const generated = (await ok(call('POST', `${tokenFrom.base}/v3/directline/tokens/generate`), 'token')).body as {
      token: string;
    };
    const started = (await ok(
      call('POST', `${openOn.base}/v3/directline/conversations`, generated.token, { locale, user: { id: 'cardholder' } }),
      'start',
    )).body as { conversationId: string; token: string };
    return new Cardholder(started.conversationId, started.token, locale);
  }

  message(text: string, clientActivityID: string = randomUUID()) {
    return {
      type: 'message',
      from: { id: 'cardholder', role: 'user' },
      text,
      locale: this.locale,
      channelData: { clientActivityID },
    };
  }

  /** POSTs one activity; resolves when that instance has finished the turn (Direct Line answers after it). */
  async post(on: Instance, activity: ReturnType<Cardholder['message']>): Promise<Posted> {
    const r = await call('POST', `${on.base}/v3/directline/conversations/${this.conversationId}/activities`, this.token, activity);
    return r;
  }

  async say(on: Instance, text: string): Promise<void> {
    const r = await this.post(on, this.message(text));
    if (r.status !== 200) throw new Error(`"${text}" on ${on.name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** GET of the activity log (first page), whatever the status. */
  activities(on: Instance): Promise<HttpReply> {
    return call('GET', `${on.base}/v3/directline/conversations/${this.conversationId}/activities`, this.token);
  }

  /** The whole activity log as the given instance serves it (pages through the watermark). */
  async log(on: Instance): Promise<Partial<Activity>[]> {
    const all: Partial<Activity>[] = [];
    let watermark: string | undefined;
    for (;;) {
      const query = watermark === undefined ? '' : `?watermark=${watermark}`;
      const r = await ok(
        call('GET', `${on.base}/v3/directline/conversations/${this.conversationId}/activities${query}`, this.token),
        'activities',
      );
      const page = r.body as { activities: Partial<Activity>[]; watermark?: string };
      all.push(...page.activities);
      if (page.activities.length === 0 || page.watermark === watermark) return all;
      watermark = page.watermark;
    }
  }

  /** Waits for the greeting the bot sends after the conversation opens (it runs after the HTTP answer). */
  async greeted(on: Instance): Promise<void> {
    await until(async () => (await this.log(on)).some((a) => a.from?.role === 'bot' && a.type === 'message'));
  }
}

export const probe = async (on: Instance, path: '/healthz' | '/readyz'): Promise<number> => (await fetch(`${on.base}${path}`)).status;

export { until };

export const fromBot = (a: Partial<Activity>) => a.from?.role === 'bot';
export const botTexts = (log: Partial<Activity>[]) => log.filter((a) => fromBot(a) && a.type === 'message').map((a) => a.text ?? '');
export const events = (log: Partial<Activity>[], name: string) => log.filter((a) => a.type === 'event' && a.name === name);
