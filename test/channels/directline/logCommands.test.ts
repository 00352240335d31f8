/**
 * The Direct Line log's scripts read a conversation's open marker once: whether the conversation
 * is there and whether it has started (which TTL its keys get) come from one GET — in a message's
 * append, in the replies' own script, and in a turn's commit, where the replies' check keeps what
 * it read for their write (`memo`, bot/storage/redisCommit.ts). Counted on a Redis of the test's
 * own (`INFO commandstats`, which counts a script's inner calls).
 */
import { describe, expect, it } from 'vitest';
import { RedisConversationLog } from '../../../bot/channels/directline/redisStore.js';
import { RedisConversationLock } from '../../../bot/storage/lock.js';
import { useOwnedRedisConnection } from '../../support/fleet.js';
import { commandCalls } from '../../support/redisServer.js';

const owned = useOwnedRedisConnection('dl:');

const ttls = async (id: string) => Promise.all((await owned.admin.keys(`dl:*${id}*`)).map((key) => owned.admin.ttl(key)));

describe('the Direct Line log in Redis', () => {
  it('reads the open marker once per script, alone and in a turn’s commit, and still gives unstarted conversations their short TTL', async () => {
    const { client, keys } = owned.connection;
    const log = new RedisConversationLog(client, keys, 86_400, 120);
    const lock = new RedisConversationLock(client, keys);
    const id = 'marker-once';
    await log.open(id);

    // The replies' own script, on a conversation not started: one GET, the unstarted TTL.
    await owned.admin.config('RESETSTAT');
    await log.appendReplies(id, [{ type: 'message', text: 'greeting' }]);
    expect(await commandCalls(owned.admin)).toMatchObject({ get: 1 });
    expect((await commandCalls(owned.admin))['exists']).toBeUndefined();
    for (const ttl of await ttls(id)) expect(ttl).toBeLessThanOrEqual(120);

    // A turn: the message's append (one GET of the marker), then the commit (the lease's GET, one of the marker).
    await owned.admin.config('RESETSTAT');
    await lock.withLock(id, async () => {
      await log.append(id, { type: 'message', text: 'hello' });
      await log.appendReplies(id, [{ type: 'message', text: 'answer' }]);
    });
    expect(await commandCalls(owned.admin)).toMatchObject({ get: 3 });
    expect((await commandCalls(owned.admin))['exists']).toBeUndefined();
    for (const ttl of await ttls(id)) expect(ttl).toBeGreaterThan(120);
    expect((await log.read(id, undefined, 10)).map((e) => e.activity.text)).toEqual(['greeting', 'hello', 'answer']);

    // A first turn's greeting in a commit, before any message: the unstarted TTL from the marker its check read.
    const fresh = 'marker-once-fresh';
    await log.open(fresh);
    await lock.withLock(fresh, () => log.appendReplies(fresh, [{ type: 'message', text: 'greeting' }]));
    expect(await ttls(fresh)).not.toHaveLength(0);
    for (const ttl of await ttls(fresh)) expect(ttl).toBeLessThanOrEqual(120);
  });
});
