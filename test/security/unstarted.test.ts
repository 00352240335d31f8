/**
 * A chat opened and never written in (issue 13 item 6): its Direct Line log, held greeting and
 * conversation state live UNSTARTED_CONVERSATION_TTL_SEC, not the normal lifetimes, and it has no
 * transcript; the cardholder's first message gives everything the normal lifetime.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStores } from '../../bot/storage/index.js';
import { useTestRedis } from '../support/redis.js';
import { startForbear } from '../support/server.js';
import { Cardholder, startInstance, type Instance } from '../support/fleet.js';

const UNSTARTED_TTL_SEC = 120;
const env = { UNSTARTED_CONVERSATION_TTL_SEC: String(UNSTARTED_TTL_SEC) };
const redis = useTestRedis('unstarted');
const closing: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closing.map((close) => close()));
});

describe('a conversation nobody wrote in', () => {
  it('on Redis: every key of it expires within the unstarted TTL, and the first message gives the normal lifetimes', async () => {
    const instance = await startInstance('unstarted', { url: redis().url, prefix: redis().prefix }, { env });
    closing.push(() => instance.server.close());
    const quiet = await Cardholder.open(instance, instance);
    await quiet.greeted(instance);
    const talker = await Cardholder.open(instance, instance);
    await talker.greeted(instance);
    const ttls = async (c: Cardholder) => {
      // Rate-limit counters name the conversation too; they live a minute by design.
      const keys = (await redis().admin.keys(`${redis().prefix}*${c.conversationId}*`)).filter((k) => !k.includes('ratelimit:'));
      return Object.fromEntries(await Promise.all(keys.map(async (key) => [key.slice(redis().prefix.length), await redis().admin.ttl(key)] as const)));
    };

    const before = await ttls(quiet);
    expect(Object.keys(before).some((k) => k.includes('state')), 'the greeting turn saved state').toBe(true);
    expect(Object.keys(before).some((k) => k.includes('transcript-prelude')), 'the greeting is held aside').toBe(true);
    expect(Object.keys(before).some((k) => k.includes('directline')), 'the log has the greeting').toBe(true);
    for (const [key, ttl] of Object.entries(before)) {
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(UNSTARTED_TTL_SEC);
    }
    expect(await instance.forbear.transcripts.head(quiet.conversationId)).toBeNull();

    await talker.say(instance, '我想协商还款');
    const after = await ttls(talker);
    expect(Object.keys(after).some((k) => k.includes('transcript-prelude')), 'the held greeting went into the transcript').toBe(false);
    for (const [key, ttl] of Object.entries(after)) expect(ttl === -1 || ttl > UNSTARTED_TTL_SEC, `${key}: ${ttl}`).toBe(true);
  });

  it('in memory: its state is forgotten after the unstarted TTL; a conversation that started keeps it', async () => {
    let now = Date.now();
    const server = await startForbear(env, { stores: memoryStores(() => now) });
    closing.push(() => server.running.close());
    const instance = { name: 'memory', base: server.base } as Instance;
    const quiet = await Cardholder.open(instance, instance);
    await quiet.greeted(instance);
    const talker = await Cardholder.open(instance, instance);
    await talker.greeted(instance);
    await talker.say(instance, '我想协商还款');
    const stateKey = (c: Cardholder) => `directline/conversations/${c.conversationId}/`;
    const stored = async (c: Cardholder) => Object.keys(await server.forbear.stores.storage.read([stateKey(c)])).length > 0;
    expect([await stored(quiet), await stored(talker)]).toEqual([true, true]);

    now += (UNSTARTED_TTL_SEC + 1) * 1000;
    expect([await stored(quiet), await stored(talker)]).toEqual([false, true]);
  });
});
