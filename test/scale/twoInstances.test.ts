/**
 * Scale-out through real HTTP against the real Redis: two instances of the product (two servers,
 * two ports, two Redis connections, one key prefix, one Direct Line secret) serve the same
 * conversations, as N processes behind a load balancer would.
 */
import { describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import type { Arrangement } from '../../bot/storage/index.js';
import { useTestRedis } from '../support/redis.js';
import { Cardholder, botTexts, events, fromBot, useTwoInstances } from '../support/fleet.js';
import { PATIENCE_MS } from '../support/until.js';

const redis = useTestRedis('scale');
const two = useTwoInstances(() => ({ url: redis().url, prefix: redis().prefix }));

/** Demo cardholder cn-m1-wang from the first message to the agreement. */
const TO_OFFER = ['失业了', '4821', '1988-03-14', '月收入八千', '开支三千', '对'];
/** The Direct Line log keeps what the privacy boundary stores: verification answers as a placeholder. */
const LOGGED = TO_OFFER.map((text) => (/^\d|^1988/.test(text) ? '[verification answer]' : text));
/** Each of the five steps and "接受" twice, one late retry, two "同意" twice each. */
const POSTS_PER_CONVERSATION = (TO_OFFER.length + 1) * 2 + 1 + 4;

/**
 * Replies of one turn all answer the same activity (replyToId); a turn interleaved with another
 * would split its run. Returns the replyToIds in log order, one per contiguous run.
 */
function replyRuns(log: Partial<Activity>[]): Array<string | undefined> {
  const runs: Array<string | undefined> = [];
  for (const activity of log.filter(fromBot)) if (runs.at(-1) !== activity.replyToId || runs.length === 0) runs.push(activity.replyToId);
  return runs;
}

function expectWellFormed(log: Partial<Activity>[]): void {
  const runs = replyRuns(log);
  expect(new Set(runs).size, 'every turn\'s replies are contiguous').toBe(runs.length);
  // Every reply comes after the message it answers, and turns run in the order the messages were logged.
  const position = new Map(log.map((activity, i) => [activity.id, i]));
  const answered = runs.filter((id): id is string => id !== undefined).map((id) => position.get(id)!);
  expect(answered).toEqual([...answered].sort((x, y) => x - y));
  log.forEach((activity, i) => {
    if (fromBot(activity) && activity.replyToId) expect(position.get(activity.replyToId)!).toBeLessThan(i);
  });
}

async function expectOneAgreement(c: Cardholder): Promise<Arrangement> {
  const arrangements = await two.a.forbear.stores.arrangements.listByConversation(c.conversationId);
  expect(arrangements).toHaveLength(1);
  const [arrangement] = arrangements as [Arrangement];
  expect(arrangement.reference).toMatch(/^FB-/);
  expect(arrangement.accountId).toBe('cn-m1-wang');
  const log = await c.log(two.b);
  expect(await c.log(two.a), 'both instances serve the same log').toEqual(log);
  const agreed = events(log, 'agreement');
  expect(agreed).toHaveLength(1);
  expect((agreed[0]!.value as Arrangement).reference).toBe(arrangement.reference);
  expect(botTexts(log).some((text) => text.includes(arrangement.reference))).toBe(true);
  expectWellFormed(log);
  return arrangement;
}

describe('two instances, one Redis', () => {
  it('a conversation alternating between the instances message by message reaches one agreement', async () => {
    const c = await Cardholder.open(two.a, two.b);
    await c.greeted(two.a);
    const steps = [...TO_OFFER, '接受', '同意'];
    for (const [i, text] of steps.entries()) await c.say(i % 2 === 0 ? two.a : two.b, text);

    const arrangement = await expectOneAgreement(c);
    expect(await two.b.forbear.stores.arrangements.get(arrangement.reference)).toEqual(arrangement);
    const log = await c.log(two.a);
    expect(log.filter((x) => !fromBot(x)).map((x) => x.text)).toEqual([...LOGGED, '接受', '同意']);
    expect(events(log, 'verified')).toHaveLength(1);
    expect(events(log, 'offer')).toHaveLength(1);
  });

  it(
    '50 concurrent conversations with duplicated, late and racing deliveries: exactly one arrangement each',
    async () => {
      const started = performance.now();
      const run = async (i: number) => {
        const [home, away] = i % 2 === 0 ? [two.a, two.b] : [two.b, two.a];
        const c = await Cardholder.open(home, away);
        await c.greeted(away);
        const sent = [];
        for (const [step, text] of [...TO_OFFER, '接受'].entries()) {
          // At-least-once delivery: the same client activity reaches both instances at once.
          const activity = c.message(text);
          const [first, second] = await Promise.all([c.post(step % 2 ? home : away, activity), c.post(step % 2 ? away : home, activity)]);
          expect([first.status, second.status]).toEqual([200, 200]);
          expect(first.body).toEqual(second.body);
          sent.push(activity);
        }
        // A retry of an earlier message arrives late, after the conversation moved on.
        const late = await c.post(away, sent[4]!);
        expect(late.status).toBe(200);
        // "同意" tapped twice (two client ids), each delivered to both instances, all at once.
        const agree = [c.message('同意'), c.message('同意')];
        const posts = await Promise.all([
          c.post(home, agree[1]!),
          c.post(away, agree[0]!),
          c.post(away, agree[1]!),
          c.post(home, agree[0]!),
        ]);
        expect(posts.map((p) => p.status)).toEqual([200, 200, 200, 200]);
        const log = await c.log(home);
        const userTexts = log.filter((x) => !fromBot(x)).map((x) => x.text);
        expect(userTexts, 'each client activity is logged once').toEqual([...LOGGED, '接受', '同意', '同意']);
        return c;
      };
      const conversations = await Promise.all(Array.from({ length: 50 }, (_, i) => run(i)));
      const elapsedMs = performance.now() - started;

      const references = new Set<string>();
      for (const c of conversations) references.add((await expectOneAgreement(c)).reference);
      expect(references.size).toBe(50);
      console.info(`scale: 50 conversations (${50 * POSTS_PER_CONVERSATION} POSTs) over 2 instances in ${Math.round(elapsedMs)} ms`);
    },
    // 850 turns through two instances and one Redis: seconds on a quiet machine, minutes on the
    // shared 2-core one under load, where the old 60 s ceiling failed runs that passed on a re-run.
    // Every step waits for its answer; the ceiling only turns a hang into a failure.
    10 * PATIENCE_MS,
  );
});
