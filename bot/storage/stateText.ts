/**
 * A state item's JSON text (without its eTag), handed between the conversation state and the
 * stores beside the item, so a turn makes it once: the store that read the text gives it to the
 * state (kept as the "unchanged" mark, not made again from the parsed value), and the state's
 * save, which needs the text to tell whether anything changed, gives it to the store's write
 * (not made a second time there). Two marks, not one: a text handed to the reader never reaches a
 * write, so a value changed after its read cannot be stored with its old text.
 */
import type { StoreItem } from 'botbuilder-core';

/** Kept beside the items, not on them: a mark on the item would show in its copies and comparisons. */
const readTexts = new WeakMap<StoreItem, string>();
const writeTexts = new WeakMap<StoreItem, string>();

/** The JSON text of `item` without its eTag, as the stores keep it. */
export function stateText(item: StoreItem): string {
  // The eTag changes with every write and is not state.
  const { eTag, ...rest } = item;
  return JSON.stringify(rest);
}

/** A store marks an item it read with the text it parsed it from (which `stateText` of it equals). */
export function markRead<T extends StoreItem>(item: T, text: string): T {
  readTexts.set(item, text);
  return item;
}

/** The text a store read `item` from, handed once; undefined when the store gave none. */
export function takeReadText(item: StoreItem): string | undefined {
  const text = readTexts.get(item);
  readTexts.delete(item);
  return text;
}

/** Runs `write` with `item` marked as having the text `text` (`stateText(item)`, just made by the caller). */
export async function writingWithText<T>(item: StoreItem, text: string, write: () => Promise<T>): Promise<T> {
  writeTexts.set(item, text);
  try {
    return await write();
  } finally {
    writeTexts.delete(item);
  }
}

/** The text to store for `item`: the one its writer marked it with, or made now. */
export function writeText(item: StoreItem): string {
  return writeTexts.get(item) ?? stateText(item);
}
