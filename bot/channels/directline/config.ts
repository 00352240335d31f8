/** Direct Line settings, as a zod shape the server's `Config` can merge. */
import { z } from 'zod';
import { intFromEnv, optionalString } from '../../http/env.js';

export const DirectLineConfig = z.object({
  /** HMAC key for conversation tokens; at least 32 characters. Unset: a random one per process. */
  DIRECTLINE_SECRET: optionalString.pipe(z.string().min(32, 'DIRECTLINE_SECRET must be at least 32 characters').optional()),
  /** Token lifetime; Web Chat refreshes at half of Direct Line's 30 minutes. */
  DIRECTLINE_TOKEN_TTL_SEC: intFromEnv(1800, 60, 86_400),
  /** However often it is refreshed, a token (and the reconnects it allows) ends this long after the first was issued. */
  DIRECTLINE_TOKEN_MAX_LIFETIME_SEC: intFromEnv(12 * 3600, 60, 30 * 86_400),
  /** Open conversations (started within the conversation TTL) across all instances; beyond it a new one gets 503. */
  DIRECTLINE_MAX_OPEN_CONVERSATIONS: intFromEnv(20_000, 1, 10_000_000),
  /** A conversation's activity log is forgotten this long after its last activity. */
  DIRECTLINE_CONVERSATION_TTL_SEC: intFromEnv(86_400, 60, 30 * 86_400),
  /**
   * A chat opened and never written in (the page loaded, the greeting shown) is forgotten this long
   * after it opened: its Direct Line log, its held greeting and its conversation state. The first
   * cardholder message gives them their normal lifetimes. Default: a token's lifetime.
   */
  UNSTARTED_CONVERSATION_TTL_SEC: intFromEnv(1800, 60, 86_400),
});
export type DirectLineConfig = z.infer<typeof DirectLineConfig>;
