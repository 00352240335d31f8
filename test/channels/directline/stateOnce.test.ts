/**
 * The privacy boundary decides what of a message the Direct Line log keeps from the conversation
 * state; the turn then runs on that same state. One turn reads the state from the store once:
 * the boundary and the turn share the turn context, and with it the state it loaded.
 */
import { describe, expect, it } from 'vitest';
import { ActivityHandler, ConversationState, MemoryStorage, type StoreItems, type TurnContext } from 'botbuilder';
import { DirectLineAdapter } from '../../../bot/channels/directline/adapter.js';
import { MemoryConversationLog } from '../../../bot/channels/directline/store.js';

class CountingStorage extends MemoryStorage {
  reads = 0;
  override read(keys: string[]): Promise<StoreItems> {
    this.reads++;
    return super.read(keys);
  }
}

describe('Direct Line turn and conversation state', () => {
  it('reads the state once per message: the log boundary and the turn share it', async () => {
    const storage = new CountingStorage();
    const state = new ConversationState(storage);
    const verified = state.createProperty<boolean>('verified');
    const bot = new ActivityHandler().onMessage(async (context, next) => {
      if (!(await verified.get(context, false))) await verified.set(context, true);
      await context.sendActivity(`seen ${context.activity.id ?? ''}`);
      await state.saveChanges(context);
      await next();
    });
    const log = new MemoryConversationLog(3600);
    const adapter = new DirectLineAdapter({
      log,
      storedText: async (context: TurnContext) => ((await verified.get(context, false)) ? context.activity.text! : '[masked]'),
    });
    await log.open('c1');
    for (const text of ['1234', '5678']) {
      await adapter.receive('c1', { type: 'message', text, from: { id: 'u1', name: 'u1' } }, (context) => bot.run(context));
    }
    expect(storage.reads).toBe(2);
    const entries = await log.read('c1', undefined, 10);
    // The boundary saw the state as it was before each turn, and the turn saw the id the log gave it.
    expect(entries.map((e) => e.activity.text)).toEqual(['[masked]', 'seen c1|0000000', '5678', 'seen c1|0000002']);
  });
});
