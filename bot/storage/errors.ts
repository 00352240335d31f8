/**
 * Failures of the shared state layer, typed so the shell can tell "Redis is away, ask the
 * cardholder to try again shortly" from a bug, and a lost race from both.
 */

/** The shared store cannot be reached (down, restarting, partitioned, too slow). Retrying later is safe. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(cause: unknown) {
    super(`state store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A write carried an eTag that is no longer current: someone else wrote first. The message is the
 * one botbuilder's MemoryStorage uses, so code written against either store reads the same text.
 */
export class ETagConflictError extends Error {
  override readonly name = 'ETagConflictError';
  constructor(readonly key: string) {
    super(`Storage: error writing "${key}" due to eTag conflict.`);
  }
}

/** Another turn of the same conversation held the lock for longer than we were willing to wait. */
export class ConversationBusyError extends Error {
  override readonly name = 'ConversationBusyError';
  constructor(readonly conversationId: string, waitedMs: number) {
    super(`conversation ${conversationId} stayed locked for ${waitedMs} ms`);
  }
}

/**
 * Replies that mean "the server is there but cannot serve right now" (loading a dump, failing over,
 * cluster reconfiguring). Every other reply error is a real error and passes through unchanged.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|BUSY)\b/;

/**
 * ioredis signals transport trouble with plain Errors (offline queue disabled, connection closed,
 * command timed out, retries exhausted) and server answers with ReplyError; so anything that is not
 * a server reply is unavailability.
 */
export function isUnavailability(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError) return true;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(error.message);
  return true;
}

/** The error to rethrow: transport failures become StoreUnavailableError, anything else is unchanged. */
export function asStoreError(error: unknown): unknown {
  return error instanceof StoreUnavailableError || !isUnavailability(error) ? error : new StoreUnavailableError(error);
}

/** Runs one store operation and turns transport failures into StoreUnavailableError. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw asStoreError(error);
  }
}
