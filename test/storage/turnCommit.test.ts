/**
 * A turn's commit (bot/storage/redisCommit.ts): under a conversation's Redis lease the turn's
 * transcript batch, state write, Direct Line replies and delivery mark are held back and stored with
 * the lease's release by one script — all of them or none — and only then do streams hear of the
 * replies. Checked from a second connection, as another instance would see it.
 */
import { describe, expect, it, vi } from 'vitest';
import { beforeEach } from 'vitest';
import { ETagConflictError } from '../../bot/storage/errors.js';
import { RedisConversationLock, afterCommit } from '../../bot/storage/lock.js';
import { RedisStorage } from '../../bot/storage/redisStorage.js';
import { textOfStored } from '../../bot/storage/compact.js';
import { RedisKeyValueStore } from '../../bot/storage/keyValue.js';
import { z } from 'zod';
import type { RedisConnection } from '../../bot/storage/redis.js';
import { RedisConversationLog } from '../../bot/channels/directline/redisStore.js';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { verifyConversation } from '../../bot/transcripts/store.js';
import type { TranscriptEntry } from '../../bot/transcripts/schema.js';
import { testSealing } from '../transcripts/fixtures.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('commit');
let a: RedisConnection;
let b: RedisConnection;
beforeEach(async () => {
  a ??= await redis().connect('instance-a');
  b ??= await redis().connect('instance-b');
});

const sealing = testSealing();
const stateKey = (id: string) => `directline/conversations/${id}/`;
const note = (text: string): TranscriptEntry => ({
  kind: 'decision',
  actor: 'system',
  at: '2026-11-30T10:00:00.000Z',
  payload: { type: 'stop_contact', source: 'cardholder', redactedText: text },
});

function instance(c: RedisConnection) {
  return {
    lock: new RedisConversationLock(c.client, c.keys),
    state: new RedisStorage(c.client, c.keys, { ttlSec: 600 }),
    log: new RedisConversationLog(c.client, c.keys, 600),
    transcripts: new RedisTranscriptStore(c.client, c.keys.prefix, sealing),
  };
}

/** What another instance sees of the conversation (the state read raw: this process's turn would read its own held-back write). */
async function seen(id: string) {
  const other = instance(b);
  const state = await redis().admin.hgetBuffer(other.state.redisKey(stateKey(id)), 'value');
  return {
    turn: state === null ? undefined : (JSON.parse(textOfStored(state)) as { turn: number }).turn,
    log: (await other.log.read(id, undefined, 100)).map((e) => e.activity.text),
    records: (await other.transcripts.stored(id)).records.length,
  };
}

/** A conversation with a first turn done, so this instance knows its transcript head. */
async function started(id: string) {
  const mine = instance(a);
  await mine.log.open(id);
  await mine.lock.withLock(id, async () => {
    await mine.log.append(id, { type: 'message', text: 'hello' });
    await mine.transcripts.appendBatch(id, () => [note('first')]);
    await mine.state.write({ [stateKey(id)]: { turn: 1 } });
  });
  return mine;
}

describe('a turn commit on Redis', () => {
  it('stores nothing of the turn until it ends, then all of it in one script, and then tells streams', async () => {
    const id = 'commit-all';
    const mine = await started(id);
    const before = await seen(id);
    expect(before).toEqual({ turn: 1, log: ['hello'], records: 1 });
    const scripts = vi.spyOn(a.client, 'sendCommand');
    const heard: string[] = [];
    await mine.lock.withLock(id, async () => {
      const { seq } = await mine.log.append(id, { type: 'message', text: 'second' });
      const read = await mine.state.read([stateKey(id)]);
      await mine.transcripts.appendBatch(id, () => [note('second'), note('reply')]);
      await mine.state.write({ [stateKey(id)]: { ...read[stateKey(id)], turn: 2 } });
      // The turn reads its own held-back write.
      expect((await mine.state.read([stateKey(id)]))[stateKey(id)]?.['turn']).toBe(2);
      expect(await mine.log.appendReplies(id, [{ type: 'message', text: 'reply' }])).toBe(seq + 1);
      void afterCommit(id, () => heard.push('appended'));
      expect(await seen(id)).toEqual({ turn: 1, log: ['hello', 'second'], records: 1 });
      expect(heard).toEqual([]);
      scripts.mockClear();
    });
    // The batch, the state, the replies and the release: one command.
    expect(scripts.mock.calls.map(([command]) => command.name)).toEqual(['evalsha']);
    scripts.mockRestore();
    expect(heard).toEqual(['appended']);
    expect(await seen(id)).toEqual({ turn: 2, log: ['hello', 'second', 'reply'], records: 3 });
    expect(await verifyConversation(mine.transcripts, id)).toMatchObject({ ok: true });
    expect(await redis().admin.exists(a.keys.conversation(id, 'lock'))).toBe(0);
  });

  it('a refused commit (the state changed meanwhile) stores none of the turn: no record, no state, no reply', async () => {
    const id = 'commit-none';
    const mine = await started(id);
    await expect(
      mine.lock.withLock(id, async () => {
        await mine.log.append(id, { type: 'message', text: 'second' });
        const read = await mine.state.read([stateKey(id)]);
        await mine.transcripts.appendBatch(id, () => [note('second')]);
        await mine.state.write({ [stateKey(id)]: { ...read[stateKey(id)], turn: 2 } });
        await mine.log.appendReplies(id, [{ type: 'message', text: 'reply' }]);
        // Another writer, past the lock: the state's eTag moves under the turn.
        await redis().admin.hset(mine.state.redisKey(stateKey(id)), 'etag', 'theirs', 'value', JSON.stringify({ turn: 99 }));
      }),
    ).rejects.toBeInstanceOf(ETagConflictError);
    expect(await seen(id)).toEqual({ turn: 99, log: ['hello', 'second'], records: 1 });
    expect(await redis().admin.exists(a.keys.conversation(id, 'lock'))).toBe(0);
  });

  it('a turn that fails (or a process that dies) before its end stores none of what it held back', async () => {
    const id = 'commit-crash';
    const mine = await started(id);
    await expect(
      mine.lock.withLock(id, async () => {
        await mine.log.append(id, { type: 'message', text: 'second' });
        await mine.transcripts.appendBatch(id, () => [note('second'), note('third')]);
        await mine.state.write({ [stateKey(id)]: { turn: 2 } });
        throw new Error('crash between the records of one turn');
      }),
    ).rejects.toThrow('crash');
    expect(await seen(id)).toEqual({ turn: 1, log: ['hello', 'second'], records: 1 });
    // The next turn chains from the head that is stored.
    await mine.lock.withLock(id, () => mine.transcripts.appendBatch(id, () => [note('again')]));
    expect((await mine.transcripts.stored(id)).records).toHaveLength(2);
    expect(await verifyConversation(mine.transcripts, id)).toMatchObject({ ok: true });
  });

  it('a transcript head moved by another writer: the batch is sealed again against it and the commit retried', async () => {
    const id = 'commit-race';
    const mine = await started(id);
    await mine.lock.withLock(id, async () => {
      await mine.transcripts.appendBatch(id, () => [note('mine')]);
      await mine.state.write({ [stateKey(id)]: { turn: 2 } });
      // An agent's action recorded by another instance (which knows no head of this conversation), past the lock.
      await instance(b).transcripts.append(id, note('theirs'));
    });
    const stored = await mine.transcripts.stored(id);
    expect(stored.records.map((r) => (r.payload as { redactedText: string }).redactedText)).toEqual(['first', 'theirs', 'mine']);
    expect(await verifyConversation(mine.transcripts, id)).toMatchObject({ ok: true });
    expect((await seen(id)).turn).toBe(2);
  });

  it('a key-value record kept with the turn (withTurn): set and delete go with the commit, the turn reads its own, a failed turn stores neither', async () => {
    const id = 'commit-kv';
    const mine = await started(id);
    const held = (c: RedisConnection) => new RedisKeyValueStore(c.client, c.keys, { namespace: 'held', schema: z.array(z.string()), scope: 'conversation', withTurn: true });
    // Read raw, as another instance sees it: this process's turn would read what it holds back.
    const stored = async () => {
      const value = await redis().admin.hgetBuffer(held(b).redisKey(id), 'value');
      return value === null ? undefined : (JSON.parse(textOfStored(value)) as string[]);
    };
    await mine.lock.withLock(id, async () => {
      await held(a).set(id, ['greeting'], 600);
      expect(await held(a).get(id)).toEqual(['greeting']);
      expect(await stored()).toBeUndefined();
      await mine.state.write({ [stateKey(id)]: { turn: 2 } });
    });
    expect(await stored()).toEqual(['greeting']);
    await expect(
      mine.lock.withLock(id, async () => {
        await held(a).delete(id);
        expect(await held(a).get(id)).toBeUndefined();
        throw new Error('the turn fails');
      }),
    ).rejects.toThrow('fails');
    expect(await stored()).toEqual(['greeting']);
    await mine.lock.withLock(id, async () => {
      await held(a).delete(id);
      expect(await stored()).toEqual(['greeting']);
    });
    expect(await stored()).toBeUndefined();
  });
});
