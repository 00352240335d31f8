/**
 * Redis round trips of a whole Direct Line negotiation (the bench's script: verify, intake, offer,
 * consent), counted per HTTP call on a Redis of the test's own (`total_reads_processed` grows by one
 * per round trip; the INFO that reads it is one). What is counted: a steady turn is its limits, the
 * lease with the state, the log append and the commit; the agreement turn stores the arrangement,
 * its indexes, the ledger and its index with reads and writes sent together (the client pipelines
 * one tick's commands, bot/storage/redis.ts); the conversation averages at most 8 per message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DemoAccountService } from '../../bot/accounts/demoAccountService.js';
import { DEMO_ACCOUNTS, loadPolicy } from '../../policy/index.js';
import { call, setUpOnce, startInstance, TEST_CLOCK, type Instance } from '../support/fleet.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redisServer.js';

const SCRIPT = ['我这个月还不上了', '4821', '1988-03-14', '我失业了', '20000', '5000', '对', '好的', '同意'];

let redis: OwnedRedis;
let admin: Redis;
let instance: Instance;

setUpOnce(async () => {
  redis = await startOwnedRedis({ persistent: false });
  admin = new Redis(redis.url);
  // As in the bench, each conversation is its own cardholder (王小明's figures under two account ids, named
  // by the client): a cardholder with an arrangement already would take the change-of-terms path.
  const wang = DEMO_ACCOUNTS.find((a) => a.accountId === 'cn-m1-wang')!;
  const accounts = new DemoAccountService(TEST_CLOCK, (id) => loadPolicy(id).timezone, ['rt-1', 'rt-2'].map((accountId) => ({ ...wang, accountId })));
  instance = await startInstance('round-trips', { url: redis.url, prefix: 'trips:' }, { accounts });
});
afterAll(async () => {
  await instance?.server.close();
  admin?.disconnect();
  await redis?.dispose();
});

async function counted<T>(work: () => Promise<T>): Promise<{ trips: number; result: T }> {
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))![1]);
  const before = await reads();
  const result = await work();
  return { trips: (await reads()) - before - 1, result };
}

async function ok<T>(reply: Promise<{ status: number; body: unknown }>): Promise<T> {
  const r = await reply;
  if (r.status >= 300) throw new Error(`HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T;
}

/** One conversation through the script: the round trips of each HTTP call. */
async function negotiate(base: string, accountRef: string) {
  const trips: number[] = [];
  const token = await counted(() => ok<{ token: string }>(call('POST', `${base}/v3/directline/tokens/generate`)));
  const start = await counted(() => ok<{ conversationId: string; token: string }>(call('POST', `${base}/v3/directline/conversations`, token.result.token, { locale: 'zh-CN' })));
  const { conversationId: id, token: bearer } = start.result;
  trips.push(token.trips, start.trips);
  const perMessage: number[] = [];
  for (const text of SCRIPT) {
    const sent = await counted(() => ok(call('POST', `${base}/v3/directline/conversations/${id}/activities`, bearer, { type: 'message', from: { id: 'cardholder' }, text, locale: 'zh-CN', channelData: { accountRef } })));
    perMessage.push(sent.trips);
  }
  const log = await counted(() => ok<{ activities: Array<{ type: string; name?: string }> }>(call('GET', `${base}/v3/directline/conversations/${id}/activities`, bearer)));
  trips.push(...perMessage, log.trips);
  return { trips, perMessage, agreed: log.result.activities.some((a) => a.type === 'event' && a.name === 'agreement') };
}

describe('Redis round trips of a negotiation', () => {
  it('a steady turn costs 4, the agreement turn at most 28, the conversation at most 8.5 per message', async () => {
    // The first conversation of a process also loads scripts and starts the queues' workers: not counted.
    expect((await negotiate(instance.base, 'rt-1')).agreed).toBe(true);
    const { trips, perMessage, agreed } = await negotiate(instance.base, 'rt-2');
    expect(agreed).toBe(true);
    const steady = perMessage.slice(3, -1).sort((a, b) => a - b);
    // The median: the bot's queues poll Redis on their own now and then.
    expect(steady[Math.floor(steady.length / 2)]).toBe(4);
    expect(perMessage.at(-1)).toBeLessThanOrEqual(28);
    expect(trips.reduce((a, b) => a + b, 0) / SCRIPT.length).toBeLessThanOrEqual(8.5);
  });
});
