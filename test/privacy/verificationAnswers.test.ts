/**
 * Verification answers exist nowhere after the check: not in the transcript (activities or the
 * understanding decision), the Direct Line log, conversation state, logs, the model's requests,
 * the consoles or the exports — right or wrong answers, typed when asked, typed again later, or
 * typed after an early handoff while a person has the case.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botTexts, Cardholder } from '../support/fleet.js';
import { useTestRedis } from '../support/redis.js';
import { textOfStored } from '../../bot/storage/compact.js';
import { foundIn, openChat, startSinkedServer, type SinkedServer } from './sinks.js';

let server: SinkedServer;
beforeAll(async () => {
  server = await startSinkedServer();
});
afterAll(async () => {
  await server?.close();
});

const say = (chat: Cardholder, text: string) => chat.say(server.instance, text);

/** The digits and the date in every spelling a search would try. */
const RIGHT = [/(?<![0-9A-Za-z])4821(?![0-9])/, /1988-03-14/, /1988年3月14日/, /19880314/, /1988\/3\/14/];
const WRONG = [/(?<![0-9A-Za-z])7777(?![0-9])/, /1990-01-01/, /(?<![0-9A-Za-z])6060(?![0-9])/, /1985\/2\/3/];

describe('verification answers after the check', () => {
  it('are in no sink: right answers, wrong answers, answers repeated later, answers after an early handoff', async () => {
    const verified = await openChat(server);
    await say(verified, '4821');
    await say(verified, '1988-03-14');
    await say(verified, '我失业了');
    // Typed again later, unasked: still a verification answer, wherever it is stored.
    await say(verified, '我的生日是1988年3月14日，卡号后四位4821，没错');

    const wrong = await openChat(server);
    await say(wrong, '7777');
    await say(wrong, '1990-01-01');
    await say(wrong, '6060');
    await say(wrong, '1985/2/3');

    const early = await openChat(server);
    await say(early, '转人工');
    // A person has the case now; the cardholder answers what an agent would ask.
    await say(early, '4821');
    await say(early, '1988/3/14');
    await say(early, '19880314');

    const sinks = await server.sinks([verified, wrong, early]);
    // The conversations happened and were recorded (so an empty sink cannot pass the test).
    expect(sinks.transcript).toContain('我失业了');
    expect(sinks.directLineLog).toContain('我失业了');
    expect(sinks.conversationState).toContain('我失业了');
    expect(sinks.agentCase).toContain('转人工');
    for (const needle of [...RIGHT, ...WRONG]) expect(foundIn(sinks, needle), String(needle)).toEqual([]);
  });
});

/**
 * Between the two questions: the last 4 digits are typed, the date of birth is not yet. The
 * digits are sealed in state (AES-GCM under a key derived from TRANSCRIPT_HMAC_KEY, bound to the
 * conversation) — a snapshot of every sink, and every key in Redis, holds no readable digits.
 */
describe('the last 4 digits while the date of birth is awaited', () => {
  it('are in no sink, conversation state included; the sealed value still opens at the check', async () => {
    const pending = await openChat(server);
    await say(pending, '4821');
    const sinks = await server.sinks([pending]);
    expect(foundIn(sinks, RIGHT[0]!)).toEqual([]);
    expect(sinks.conversationState).toMatch(/"sealedLast4":"[A-Za-z0-9_-]{40,}"/);
    await say(pending, '1988-03-14');
    expect(botTexts(await pending.log(server.instance))).toContain('谢谢，身份核实成功。');
    const after = await server.sinks([pending]);
    expect(after.conversationState).toMatch(/"sealedLast4":null/);
  });
});

describe('the last 4 digits while the date of birth is awaited, in Redis', () => {
  const redis = useTestRedis('verification-pending');
  let shared: SinkedServer;
  beforeAll(async () => {
    shared = await startSinkedServer({
      REDIS_URL: redis().url,
      REDIS_KEY_PREFIX: redis().prefix,
      TRANSCRIPT_HMAC_KEY: 'verification-pending-test-key-verification-pending',
      TRANSCRIPT_CHECKPOINT_DIR: mkdtempSync(join(tmpdir(), 'forbear-checkpoints-')),
    });
  });
  afterAll(async () => {
    await shared?.close();
  });

  /** Every value under this test's prefix, whatever its Redis type, as text (long tokens and digests left out). */
  async function everyKey(): Promise<string> {
    const { admin, prefix } = redis();
    const keys = await admin.keys(`${prefix}*`);
    // Values are read as the stores read them: compact values (bot/storage/compact.ts) and a packed
    // Direct Line log item (`P<count>:` then compact) decoded, so a secret cannot hide in DEFLATE.
    const readable = (value: Buffer) => textOfStored(value.subarray(/^P\d+:/.exec(value.subarray(0, 24).toString('latin1'))?.[0].length ?? 0));
    const values = await Promise.all(
      keys.map(async (key) => {
        switch (await admin.type(key)) {
          case 'string': return readable((await admin.getBuffer(key)) ?? Buffer.alloc(0));
          case 'hash': return JSON.stringify(Object.fromEntries(Object.entries(await admin.hgetallBuffer(key)).map(([f, v]) => [f, readable(v)])));
          case 'list': return JSON.stringify((await admin.lrangeBuffer(key, 0, -1)).map(readable));
          case 'set': return JSON.stringify(await admin.smembers(key));
          case 'zset': return JSON.stringify(await admin.zrange(key, '0', '-1', 'WITHSCORES'));
          case 'stream': return JSON.stringify((await admin.xrangeBuffer(key, '-', '+')).map(([id, fields]) => [id.toString(), fields.map(readable)]));
          default: return '';
        }
      }),
    );
    expect(keys.length).toBeGreaterThan(0);
    return values.join('\n').replace(/[0-9a-f]{32,}/g, '#').replace(/[A-Za-z0-9_-]{22,}/g, '#');
  }

  it('are in no Redis key and no sink; the check still succeeds', async () => {
    const chat = await Cardholder.open(shared.instance, shared.instance, 'zh-CN');
    await chat.greeted(shared.instance);
    await chat.say(shared.instance, '4821');
    const raw = await everyKey();
    expect(raw).not.toMatch(RIGHT[0]!);
    expect(raw).toMatch(/sealedLast4\\?":\\?"#/);
    expect(foundIn(await shared.sinks([chat]), RIGHT[0]!)).toEqual([]);
    await chat.say(shared.instance, '1988-03-14');
    expect(botTexts(await chat.log(shared.instance))).toContain('谢谢，身份核实成功。');
    expect(await everyKey()).not.toMatch(RIGHT[0]!);
  });
});
