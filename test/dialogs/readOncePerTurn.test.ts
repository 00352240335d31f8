/**
 * The case file is read from conversation state once per turn (`readOncePerTurn`): later reads in
 * the same turn are the same object without going through botbuilder's state again; a read that
 * finds nothing is not kept; `set` and `delete` keep it true; another turn reads again.
 */
import { BotStatePropertyAccessor, ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity } from 'botbuilder-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readOncePerTurn } from '../../dialogs/turn.js';
import { harness } from './harness.js';

const turn = (adapter: TestAdapter) =>
  new TurnContext(adapter, {
    type: 'message',
    text: 'hi',
    channelId: 'test',
    conversation: { id: 'c1' },
    from: { id: 'u1' },
    recipient: { id: 'bot' },
  } as Activity);

afterEach(() => vi.restoreAllMocks());

describe('readOncePerTurn', () => {
  it('reads through once a turn, keeps set and delete true, and reads again in the next turn', async () => {
    const adapter = new TestAdapter();
    const state = new ConversationState(new MemoryStorage());
    const property = state.createProperty<{ n: number }>('case');
    const reads = vi.spyOn(property, 'get');
    const once = readOncePerTurn(property);

    const first = turn(adapter);
    expect(await once.get(first)).toBeUndefined();
    const made = await once.get(first, { n: 1 });
    expect(made).toEqual({ n: 1 });
    expect(await once.get(first)).toBe(made);
    expect(await once.get(first)).toBe(made);
    // Nothing found is not kept: the read with a default went through.
    expect(reads).toHaveBeenCalledTimes(2);

    await once.set(first, { n: 2 });
    expect(await once.get(first)).toEqual({ n: 2 });
    expect(await property.get(first)).toEqual({ n: 2 });
    await once.delete(first);
    expect(await once.get(first)).toBeUndefined();
    await once.set(first, { n: 3 });
    await state.saveChanges(first);

    const second = turn(adapter);
    reads.mockClear();
    expect(await once.get(second)).toEqual({ n: 3 });
    expect(await once.get(second)).toEqual({ n: 3 });
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('a negotiation turn reads the case file from conversation state once', async () => {
    const h = await harness();
    await h.open('once-1', { locale: 'zh-CN' });
    for (const line of ['我失业了', '4821', '1988-03-14', '每月八千', '房租和生活费三千']) await h.say('once-1', line);
    const reads = vi.spyOn(BotStatePropertyAccessor.prototype, 'get');
    const offered = await h.say('once-1', '对');
    expect(offered.some((a) => a.type === 'event' && a.name === 'offer')).toBe(true);
    expect(reads.mock.contexts.filter((accessor) => (accessor as BotStatePropertyAccessor).name === 'case')).toHaveLength(1);
  });
});
