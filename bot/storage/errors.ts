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

/** How ioredis reports that it cannot get a command to a server (its errors carry no code of their own). */
const TRANSPORT_MESSAGES =
  /Stream isn't writeable|Cluster isn't ready|Cluster is disconnect|Connection is closed|Command timed out|None of startup nodes|Node is disconnected|No master node is available|Too many Cluster redirections|connect ETIMEDOUT/;
const TRANSPORT_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * True for failures that mean "Redis cannot be reached or cannot serve now". Everything else (a bad
 * record failing its schema, a bug in a caller's callback, a genuine reply error) passes through.
 */
export function isUnavailability(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError) return true;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(error.message);
  const code = (error as { code?: unknown }).code;
  return (
    TRANSPORT_NAMES.has(error.name) ||
    (typeof code === 'string' && SOCKET_CODES.has(code)) ||
    TRANSPORT_MESSAGES.test(error.message)
  );
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
