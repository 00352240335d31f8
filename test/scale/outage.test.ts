/**
 * Redis dies (kill -9) or freezes (SIGSTOP) under two running instances, mid-conversation. Direct
 * Line's own log is in that Redis too, so a message cannot even be recorded: the POST is answered
 * 503 + Retry-After with the retry sentence in the cardholder's language, and nothing is logged,
 * so the client's retry (Web Chat: "Retry", a new client activity id) is a new message; a message
 * logged just before Redis died is answered when retried with its own client activity id. Readiness
 * turns red, liveness stays green, nothing crashes. When Redis is back the same conversation goes
 * on from where it was and reaches an agreement; an agreement made before the outage is intact
 * (append-only file, fsync always).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { t } from '../../conversation/messages/index.js';
import { StoreUnavailableError, type Arrangement } from '../../bot/storage/index.js';
import { RuleUnderstanding } from '../../bot/understanding/rules.js';
import type { Understanding } from '../../conversation/understanding.js';
import { startOwnedRedis, type OwnedRedis } from '../support/redisServer.js';
import { Cardholder, events, fromBot, probe, setUpOnce, startInstance, until, type Instance } from '../support/fleet.js';

let redis: OwnedRedis;
let a: Instance;
let b: Instance;
const measured: Record<string, number> = {};

setUpOnce(async () => {
  redis = await startOwnedRedis({ persistent: true });
  const settings = { url: redis.url, prefix: 'forbear-scale-outage:' };
  [a, b] = await Promise.all([startInstance('a', settings), startInstance('b', settings)]);
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.server.close()]);
  await redis?.dispose();
  console.info('outage figures (ms):', Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, Math.round(v)])));
});

const RETRY_EN = t('en', 'service.retry_later');
const ready = (on: Instance) => async () => (await probe(on, '/readyz')) === 200;
const notReady = (on: Instance) => async () => (await probe(on, '/readyz')) === 503;

async function agreedBefore(): Promise<Arrangement> {
  const c = await Cardholder.open(a, b);
  await c.greeted(b);
  for (const [i, text] of ['失业了', '4821', '1988-03-14', '月收入八千', '开支三千', '对', '接受', '同意'].entries()) {
    await c.say(i % 2 ? a : b, text);
  }
  const [arrangement] = await a.forbear.stores.arrangements.listByConversation(c.conversationId);
  return arrangement!;
}

async function englishToIncome(): Promise<Cardholder> {
  const c = await Cardholder.open(b, a, 'en-US');
  await c.greeted(a);
  for (const text of ['I lost my job', '9012', '1990-04-18', 'my income is 3000 a month']) await c.say(a, text);
  return c;
}

/** The rest of the English conversation, on the other instance: the offer, then the agreement. */
async function finish(c: Cardholder): Promise<Arrangement> {
  for (const text of ['expenses are 1500 a month', 'yes', 'accept', 'I agree']) await c.say(b, text);
  const arrangements = await b.forbear.stores.arrangements.listByConversation(c.conversationId);
  expect(arrangements).toHaveLength(1);
  const log = await c.log(a);
  expect(events(log, 'offer')).toHaveLength(1);
  expect(events(log, 'agreement').map((e) => (e.value as Arrangement).reference)).toEqual([arrangements[0]!.reference]);
  return arrangements[0]!;
}

async function expectRefused(c: Cardholder, on: Instance, text: string): Promise<number> {
  const started = performance.now();
  const refused = await c.post(on, c.message(text));
  const tookMs = performance.now() - started;
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('5');
  expect(refused.body).toEqual({ error: { code: 'ServiceUnavailable', message: RETRY_EN } });
  return tookMs;
}

describe('Redis outage under two instances', () => {
  it('killed: polite 503, red readiness, no crash; restarted: the conversation continues to an agreement, nothing lost', async () => {
    const earlier = await agreedBefore();
    const c = await englishToIncome();
    const before = await c.log(b);

    const killedAt = performance.now();
    await redis.kill();
    await until(notReady(a));
    measured['kill → /readyz 503'] = performance.now() - killedAt;
    expect(await probe(b, '/readyz')).toBe(503);
    expect([await probe(a, '/healthz'), await probe(b, '/healthz')]).toEqual([200, 200]);

    measured['killed: POST → 503'] = await expectRefused(c, b, 'expenses are 1500 a month');
    await expectRefused(c, a, 'expenses are 1500 a month');
    const read = await c.activities(a);
    expect([read.status, (read.body as { error: { code: string } }).error.code]).toEqual([503, 'ServiceUnavailable']);

    const restartedAt = performance.now();
    await redis.start();
    await until(ready(a));
    await until(ready(b));
    measured['restart → /readyz 200 (both)'] = performance.now() - restartedAt;
    expect([await probe(a, '/healthz'), await probe(b, '/healthz')]).toEqual([200, 200]);

    expect((await c.log(a)).slice(0, before.length), 'the log from before the outage is intact').toEqual(before);
    const made = await finish(c);
    const texts = (await c.log(b)).filter((x) => !fromBot(x)).map((x) => x.text);
    expect(texts.filter((x) => x === 'expenses are 1500 a month'), 'refused messages were not recorded').toHaveLength(1);
    expect(made.accountId).toBe('us-m1-johnson');
    expect(await a.forbear.stores.arrangements.get(earlier.reference), 'acknowledged before the outage').toEqual(earlier);
  }, 60_000);

  it('frozen (SIGSTOP): the message is refused within the command timeout; thawed: the conversation continues at once', async () => {
    const c = await englishToIncome();
    redis.freeze();
    try {
      measured['frozen: POST → 503'] = await expectRefused(c, a, 'expenses are 1500 a month');
      expect(await probe(b, '/readyz')).toBe(503);
      expect(await probe(b, '/healthz')).toBe(200);
    } finally {
      redis.thaw();
    }
    await until(ready(a));
    const started = performance.now();
    await finish(c);
    measured['thawed: three turns to the agreement'] = performance.now() - started;
  }, 60_000);

  it('a lock request caught by the freeze does not keep the conversation locked after the thaw', async () => {
    const stores = a.forbear.stores;
    redis.freeze();
    try {
      await expect(stores.lock.withLock('frozen-lock', async () => 'never runs')).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      redis.thaw();
    }
    // Commands on one connection run in order: once a PING on it answers, the late SET NX has run.
    await until(ready(a));
    const lockKey = stores.redis!.keys.conversation('frozen-lock', 'lock');
    expect(await stores.redis!.client.exists(lockKey)).toBe(0);
  });

  it('killed in the middle of a turn: the turn is refused with 503 and the retried message is answered after the restart', async () => {
    const FATAL = 'expenses are 1500 a month';
    const rules = new RuleUnderstanding();
    // Redis dies while the turn runs: after the message is logged and the lock taken, before any reply.
    const dying: Understanding = {
      name: 'rules',
      understand: async (text, context) => {
        if (text === FATAL && !killed) {
          killed = true;
          await redis.kill();
        }
        return rules.understand(text, context);
      },
    };
    let killed = false;
    // A short lease: the one taken by the dying turn cannot be released and must run out on its own.
    const c3 = await startInstance('c', { url: redis.url, prefix: 'forbear-scale-outage:' }, {
      understanding: dying,
      stores: { lock: { leaseMs: 1000, waitMs: 5000, retryMs: 25 } },
    });
    try {
      const c = await Cardholder.open(c3, c3, 'en-US');
      await c.greeted(c3);
      for (const text of ['I lost my job', '9012', '1990-04-18', 'my income is 3000 a month']) await c.say(c3, text);
      measured['killed mid-turn: POST → 503'] = await expectRefused(c, c3, FATAL);
      expect(await probe(c3, '/healthz')).toBe(200);

      await redis.start();
      await until(ready(c3));
      await c.say(c3, FATAL);
      // Income and expenses are read back before any offer.
      await c.say(c3, 'yes');
      const log = await c.log(c3);
      const asked = log.flatMap((x, i) => (x.text === FATAL ? [i] : []));
      expect(asked, 'the interrupted message was logged before Redis died, then retried').toHaveLength(2);
      expect(log[asked[0]! + 1], 'the interrupted message got no reply').toMatchObject({ text: FATAL });
      expect(events(log.slice(asked[1]!), 'offer')).toHaveLength(1);
      for (const text of ['accept', 'I agree']) await c.say(c3, text);
      expect(await c3.forbear.stores.arrangements.listByConversation(c.conversationId)).toHaveLength(1);
    } finally {
      await c3.server.close();
    }
  }, 60_000);

  it('killed just after "同意" was logged: the retry with the same client activity id runs the turn, once (issue 13 item 7)', async () => {
    // Redis dies inside the consent turn: the message is logged and the lock taken, no arrangement yet.
    const d = await startInstance('d', { url: redis.url, prefix: 'forbear-scale-outage:' }, {
      stores: { lock: { leaseMs: 1000, waitMs: 5000, retryMs: 25 } },
    });
    let armed = false;
    const { accounts } = d.forbear;
    const get = accounts.get.bind(accounts);
    accounts.get = async (accountId) => {
      if (armed) {
        armed = false;
        await redis.kill();
      }
      return get(accountId);
    };
    try {
      const c = await Cardholder.open(d, d);
      await c.greeted(d);
      for (const text of ['失业了', '4821', '1988-03-14', '月收入八千', '开支三千', '对', '接受']) await c.say(d, text);
      const agree = c.message('同意');
      armed = true;
      const refused = await c.post(d, agree);
      expect(refused.status).toBe(503);
      await redis.start();
      await until(ready(d));
      expect(await d.forbear.stores.arrangements.listByConversation(c.conversationId), 'the turn never got that far').toEqual([]);

      const retried = await c.post(d, agree);
      expect(retried.status).toBe(200);
      const again = await c.post(d, agree);
      expect(again.body).toEqual(retried.body);
      const arrangements = await d.forbear.stores.arrangements.listByConversation(c.conversationId);
      expect(arrangements).toHaveLength(1);
      const log = await c.log(d);
      expect(log.filter((x) => x.text === '同意'), 'logged once, by the first delivery').toHaveLength(1);
      const agreed = events(log, 'agreement');
      expect(agreed.map((e) => (e.value as Arrangement).reference)).toEqual([arrangements[0]!.reference]);
      expect(agreed[0]!.replyToId).toBe((retried.body as { id: string }).id);
    } finally {
      await d.server.close();
    }
  }, 60_000);
});
