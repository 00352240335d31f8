/**
 * botbuilder's ConversationState with a cheaper change check. BotState detects a changed state by
 * its change hash, three times a turn (when the state is read, to decide whether to write it, and
 * after writing it), each a JSON.stringify through a replacer function (for circular values) and a
 * SHA-256: measured inside a turn, ≈ 0.1 ms each and ≈ 5 % of a negotiation's CPU. The state is
 * stored as JSON by every store, so it has no circular values, and its JSON text, kept from the
 * read and compared with the text at the end of the turn, tells the same thing with one plain
 * JSON.stringify at each end (the text compared at the save is the one kept as written). The
 * stores hand over the text they read and take the one the save made (stateText.ts), so with them
 * the text is made once a turn: at the save.
 *
 * The semantics are BotState's (botbuilder-core 4.23, lib/botState.js): written when changed or
 * forced, never when not loaded unless forced, with `eTag: '*'` (last writer wins, as before);
 * `clear` forces the next save; `eTag` is left out of the comparison. BotState keeps its cache
 * under a private key, so every method that touches the cache is here (load, saveChanges, clear,
 * delete, get); the property accessors and the dialogs' memory scopes use only these.
 */
import { ConversationState, type StoreItem, type TurnContext } from 'botbuilder-core';
import { stateText, takeReadText, writingWithText } from './stateText.js';

interface Cached {
  state: StoreItem;
  /** The state's JSON text (without its eTag) as last read or written; null forces the next save. */
  json: string | null;
}

export class JsonCheckedConversationState extends ConversationState {
  private readonly cacheKey = Symbol('conversation state');

  override async load(context: TurnContext, force = false): Promise<StoreItem> {
    const cached = context.turnState.get<Cached | undefined>(this.cacheKey);
    if (!force && cached?.state) return cached.state;
    const key = await this.storageKey(context);
    const items = await this.storage.read([key]);
    const state: StoreItem = items[key] ?? {};
    context.turnState.set(this.cacheKey, { state, json: takeReadText(state) ?? stateText(state) } satisfies Cached);
    return state;
  }

  override async saveChanges(context: TurnContext, force = false): Promise<void> {
    let cached = context.turnState.get<Cached | undefined>(this.cacheKey);
    if (!cached && !force) return;
    cached ??= { state: {}, json: null };
    const json = stateText(cached.state);
    if (!force && cached.json === json) return;
    const key = await this.storageKey(context);
    cached.state.eTag = '*';
    const state = cached.state;
    await writingWithText(state, json, () => this.storage.write({ [key]: state }));
    // The stores copy what they write (none changes the state but for its eTag): the text compared is the text written.
    cached.json = json;
    context.turnState.set(this.cacheKey, cached);
  }

  override async clear(context: TurnContext): Promise<void> {
    context.turnState.set(this.cacheKey, { state: {}, json: null } satisfies Cached);
  }

  override async delete(context: TurnContext): Promise<void> {
    context.turnState.delete(this.cacheKey);
    const key = await this.storageKey(context);
    await this.storage.delete([key]);
  }

  override get(context: TurnContext): StoreItem | undefined {
    const cached = context.turnState.get<Cached | undefined>(this.cacheKey);
    return typeof cached === 'object' && typeof cached.state === 'object' ? cached.state : undefined;
  }
}
