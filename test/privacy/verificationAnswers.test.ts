/**
 * Verification answers exist nowhere after the check: not in the transcript (activities or the
 * understanding decision), the Direct Line log, conversation state, logs, the model's requests,
 * the consoles or the exports — right or wrong answers, typed when asked, typed again later, or
 * typed after an early handoff while a person has the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cardholder } from '../scale/fleet.js';
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
    expect(sinks.agentCase).toContain('转人工');
    for (const needle of [...RIGHT, ...WRONG]) expect(foundIn(sinks, needle), String(needle)).toEqual([]);
  });
});
