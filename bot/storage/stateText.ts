/**
 * A state item's JSON text (without its eTag), handed between the conversation state and the
 * stores beside the item, so a turn makes it once: the store that read the text gives it to the
 * state (kept as the "unchanged" mark, not made again from the parsed value), and the state's
 * save, which needs the text to tell whether anything changed, gives it to the store's write
 * (not made a second time there). Two marks, not one: a text handed to the reader never reaches a
 * write, so a value changed after its read cannot be stored with its old text.
 */
import type { StoreItem } from 'botbuilder-core';

const READ = Symbol('forbear.stateText.read');
const WRITE = Symbol('forbear.stateText.write');

type Marked = StoreItem & { [READ]?: string; [WRITE]?: string };

/** The JSON text of `item` without its eTag, as the stores keep it. */
export function stateText(item: StoreItem): string {
  // The eTag changes with every write and is not state.
  const { eTag, ...rest } = item;
  return JSON.stringify(rest);
}

/** A store marks an item it read with the text it parsed it from (which `stateText` of it equals). */
export function markRead<T extends StoreItem>(item: T, text: string): T {
  (item as Marked)[READ] = text;
  return item;
}

/** The text a store read `item` from, handed once; undefined when the store gave none. */
export function takeReadText(item: StoreItem): string | undefined {
  const text = (item as Marked)[READ];
  delete (item as Marked)[READ];
  return text;
}

/** Runs `write` with `item` marked as having the text `text` (`stateText(item)`, just made by the caller). */
export async function writingWithText<T>(item: StoreItem, text: string, write: () => Promise<T>): Promise<T> {
  (item as Marked)[WRITE] = text;
  try {
    return await write();
  } finally {
    delete (item as Marked)[WRITE];
  }
}

/** The text to store for `item`: the one its writer marked it with, or made now. */
export function writeText(item: StoreItem): string {
  return (item as Marked)[WRITE] ?? stateText(item);
}
