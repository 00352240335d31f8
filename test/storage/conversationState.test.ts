/**
 * The conversation state with a JSON-text change check behaves as botbuilder's ConversationState:
 * the same operations on both write the same records at the same moments; and it does not compute
 * botbuilder's change hash (three JSON-with-replacer + SHA-256 passes a turn).
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type StoreItems } from 'botbuilder';
import { JsonCheckedConversationState } from '../../bot/storage/conversationState.js';
import { ExpiringMemoryStorage } from '../../bot/storage/memoryStorage.js';
import { RedisStorage } from '../../bot/storage/redisStorage.js';
import { useTestRedis } from '../support/redis.js';

const redis = useTestRedis('conversation-state');

type RecordingStorage = MemoryStorage & { writes: string[] };

/** A store that notes every record written, as it is at the write. */
function recording(storage: MemoryStorage = new MemoryStorage()): RecordingStorage {
  const writes: string[] = [];
  const write = storage.write.bind(storage);
  return Object.assign(storage, {
    writes,
    write(changes: StoreItems): Promise<void> {
      for (const [key, item] of Object.entries(changes)) {
        const { eTag, ...rest } = item as Record<string, unknown>;
        writes.push(`${key} eTag=${String(eTag)} ${JSON.stringify(rest)}`);
      }
      return write(changes);
    },
  });
}

const turn = (conversation: string) =>
  new TurnContext(new TestAdapter(), {
    type: 'message',
    channelId: 'test',
    conversation: { id: conversation, isGroup: false, conversationType: 'personal', name: '' },
    from: { id: 'u1', name: 'u1' },
    recipient: { id: 'bot', name: 'bot' },
    text: 'hi',
  });

/** The same sequence of turns on a state class; answers what was written, in order. */
async function script(make: (storage: RecordingStorage) => ConversationState, storage: RecordingStorage = recording()): Promise<string[]> {
  const state = make(storage);
  const count = state.createProperty<number>('count');
  const nested = state.createProperty<{ items: string[] }>('nested');

  // A first turn changes the state: written.
  let context = turn('c1');
  await count.set(context, 1);
  await nested.set(context, { items: ['a'] });
  await state.saveChanges(context);
  // Saved again unchanged in the same turn: not written.
  await state.saveChanges(context);
  // A nested change is a change.
  (await nested.get(context))!.items.push('b');
  await state.saveChanges(context);

  // A turn that reads and changes nothing: not written; forced: written.
  context = turn('c1');
  expect(await count.get(context)).toBe(1);
  await state.saveChanges(context);
  await state.saveChanges(context, true);

  // A turn that never loaded the state: nothing to write, unless forced.
  context = turn('c2');
  await state.saveChanges(context);
  await state.saveChanges(turn('c3'), true);

  // Cleared: written (empty) even though nothing was set after.
  context = turn('c1');
  await state.clear(context);
  expect(state.get(context)).toEqual({});
  await state.saveChanges(context);

  // A value set back to what was read is no change.
  context = turn('c4');
  await count.set(context, 5);
  await state.saveChanges(context);
  context = turn('c4');
  await count.set(context, 6);
  await count.set(context, 5);
  await state.saveChanges(context);

  // Deleted: gone from the store and from the turn.
  context = turn('c4');
  expect(await count.get(context)).toBe(5);
  await state.delete(context);
  expect(state.get(context)).toBeUndefined();
  expect(await storage.read(['test/conversations/c4/'])).toEqual({});
  expect(await count.get(turn('c4'))).toBeUndefined();
  return storage.writes;
}

describe('conversation state with a JSON-text change check', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes exactly what botbuilder’s ConversationState writes, when it writes it', async () => {
    const ours = await script((storage) => new JsonCheckedConversationState(storage));
    const theirs = await script((storage) => new ConversationState(storage));
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(6);
  });

  it('on the product\'s memory store (it is handed the text the save made, bot/storage/stateText.ts): the same writes, and what it stores reads back as set', async () => {
    const ours = await script((storage) => new JsonCheckedConversationState(storage), recording(new ExpiringMemoryStorage()));
    const theirs = await script((storage) => new ConversationState(storage));
    expect(ours).toEqual(theirs);
  });

  it('on Redis, a turn that reads, changes and saves the state makes its JSON text once, and stores it', async () => {
    const { client, keys } = await redis().connect();
    const storage = new RedisStorage(client, keys, { ttlSec: 3600 });
    const state = new JsonCheckedConversationState(storage);
    const count = state.createProperty<number>('count');
    let context = turn('once');
    await count.set(context, 1);
    await state.saveChanges(context);
    context = turn('once');
    const stringify = vi.spyOn(JSON, 'stringify');
    await count.set(context, (await count.get(context))! + 1);
    await state.saveChanges(context);
    expect(stringify).toHaveBeenCalledTimes(1);
    stringify.mockRestore();
    expect(await count.get(turn('once'))).toBe(2);
  });

  it('does not compute botbuilder’s change hash', async () => {
    const storageModule = createRequire(import.meta.url)('botbuilder-core/lib/storage') as { calculateChangeHash: (item: unknown) => string };
    const hash = vi.spyOn(storageModule, 'calculateChangeHash');
    const state = new JsonCheckedConversationState(new MemoryStorage());
    const context = turn('c1');
    await state.createProperty<number>('count').set(context, 1);
    await state.saveChanges(context);
    expect(hash).not.toHaveBeenCalled();
  });
});
