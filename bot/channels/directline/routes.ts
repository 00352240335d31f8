/**
 * Direct Line 3.0 over HTTP (and the WebSocket stream): enough of the protocol for Web Chat and
 * other Direct Line clients. Every conversation route needs the conversation's own token.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, Server } from 'restify';
import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder-core';
import type { Logger } from '../../logger.js';
import { HttpError, parseOr400 } from '../../http/errors.js';
import { createRateLimiter, limitInPre, rateLimitBy, type RateLimit, type RateLimitStore } from '../../http/rateLimit.js';
import { DirectLineAdapter, withIds } from './adapter.js';
import type { DirectLineConfig } from './config.js';
import { ClientActivity, ConversationIdParam, Locale, StartConversation, Watermark } from './schema.js';
import { MemoryConversationLog, UnknownConversationError, type ConversationLog } from './store.js';
import type { ConversationLock } from '../../storage/lock.js';
import { ConversationBusyError, isUnavailability } from '../../storage/errors.js';
import { attachStream } from './stream.js';
import { createTokenService, resolveTokenSecret, type TokenService } from './tokens.js';

/** The bot seam: an ActivityHandler, or anything else that runs a turn. */
export interface Bot {
  run(context: TurnContext): Promise<void>;
}

export interface DirectLineDeps {
  bot: Bot;
  config: DirectLineConfig & {
    RATE_LIMIT_CONVERSATION_PER_MIN: number;
    RATE_LIMIT_CONVERSATION_BURST: number;
  };
  logger?: Logger;
  /** defaults to the in-process log */
  log?: ConversationLog;
  /** the cross-instance conversation lock for a new adapter (see DirectLineAdapterOptions.lock) */
  lock?: ConversationLock;
  /** defaults to a new adapter on `log`; pass one to share it with the handoff relay */
  adapter?: DirectLineAdapter;
  /** how often an open stream re-reads the log for activities appended by other instances */
  streamPollMs?: number;
  now?: () => number;
  /** The "please try again shortly" sentence for a 503, in the language of `locale` when given. */
  retryLater?: (locale: string | undefined) => string;
  /** Shared counts for the per-conversation limit (Redis when several instances serve). */
  rateLimitStore?: RateLimitStore | null;
  /** The privacy boundary for the log (see DirectLineAdapterOptions.storedText). */
  storedText?: (context: TurnContext) => Promise<string>;
}

export interface DirectLineChannel {
  adapter: DirectLineAdapter;
  tokens: TokenService;
  /** closes open streams and timers (for tests and graceful shutdown) */
  close(): void;
}

const BASE = '/v3/directline';
/** A client's message: `pre` sees only the path (`/v3/directline/conversations/<id>/activities`). */
const MESSAGE_PATH = new RegExp(`^${BASE}/conversations/([^/]+)/activities/?$`);

function decodedOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
const PAGE_SIZE = 100;
/** What a 503 asks clients to wait; Redis reconnects within seconds of coming back. */
const RETRY_AFTER_SEC = 5;
const RETRY_LATER = 'The service is having a temporary problem. Please try again shortly.';

const newConversationId = () => randomBytes(16).toString('base64url');

/** The client's language: the activity's locale, else the browser's first Accept-Language tag. */
function requestLocale(req: Request): string | undefined {
  const stated = Locale.safeParse((req.body as { locale?: unknown } | undefined)?.locale);
  if (stated.success) return stated.data;
  const accepted = Locale.safeParse(req.header('accept-language')?.split(/[,;]/)[0]?.trim());
  return accepted.success ? accepted.data : undefined;
}

export function registerDirectLine(server: Server, deps: DirectLineDeps): DirectLineChannel {
  const { bot, config, logger } = deps;
  const log = deps.adapter?.log ?? deps.log ?? new MemoryConversationLog(config.DIRECTLINE_CONVERSATION_TTL_SEC, deps.now, config.UNSTARTED_CONVERSATION_TTL_SEC);
  const adapter =
    deps.adapter ?? new DirectLineAdapter({ log, ...(deps.lock ? { lock: deps.lock } : {}), ...(deps.storedText ? { storedText: deps.storedText } : {}) });
  const tokens = createTokenService({
    secret: resolveTokenSecret(config.DIRECTLINE_SECRET, logger),
    ttlSec: config.DIRECTLINE_TOKEN_TTL_SEC,
    maxLifetimeSec: config.DIRECTLINE_TOKEN_MAX_LIFETIME_SEC,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const conversationRate: RateLimit = {
    ratePerSec: config.RATE_LIMIT_CONVERSATION_PER_MIN / 60,
    burst: config.RATE_LIMIT_CONVERSATION_BURST,
  };
  const conversationLimiter = createRateLimiter(conversationRate, 'conversation', deps.rateLimitStore);
  // On a hardened server the conversation's limit is taken in `pre` with the client address's, one
  // round trip for both; a request it did not reach there (a path only the router resolves) is
  // limited by the route itself.
  const limitedInPre = new WeakSet<Request>();
  limitInPre(server, {
    keyOf: (req) => {
      const id = req.method === 'POST' ? MESSAGE_PATH.exec(req.getPath())?.[1] : undefined;
      const key = id === undefined ? undefined : decodedOrUndefined(id);
      if (key !== undefined) limitedInPre.add(req);
      return key;
    },
    limiter: conversationLimiter,
    scope: 'conversation',
  });
  const run = (context: TurnContext) => bot.run(context);
  const retryLater = deps.retryLater ?? (() => RETRY_LATER);

  /**
   * The shared store cannot serve (Redis down) or the conversation stayed locked: 503 with
   * Retry-After and a sentence for the cardholder, never a 500, and never a 404, which Direct Line
   * clients take as "this conversation has ended". On a 5xx they retry, and Web Chat marks a failed
   * send "Retry". A message refused before it was logged is new on the retry; one logged whose turn
   * did not complete is answered when the client retries it with the same clientActivityID.
   */
  const outageAware =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await handler(req, res);
      } catch (error) {
        const refusedTurn = error instanceof HttpError && error.statusCode === 503;
        if (!refusedTurn && !isUnavailability(error) && !(error instanceof ConversationBusyError)) throw error;
        if (isUnavailability(error)) logger?.warn({ err: error, url: req.url }, 'Direct Line: store unavailable');
        res.header('Retry-After', String(RETRY_AFTER_SEC));
        throw refusedTurn ? error : new HttpError(503, 'ServiceUnavailable', retryLater(requestLocale(req)));
      }
    };

  /** The conversation the bearer token grants (and when its chain began); with `conversationId`, it must be that one. */
  function grantOf(req: Request, conversationId?: string): { conversationId: string; issuedAt: number } {
    const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (!match?.[1]) throw new HttpError(401, 'MissingToken', 'An Authorization: Bearer token is required.');
    const verdict = tokens.verify(match[1]);
    if (!verdict.ok) {
      // Direct Line clients read 403 as "get a new token".
      throw new HttpError(403, verdict.reason === 'expired' ? 'TokenExpired' : 'BadToken', 'The token is invalid or expired.');
    }
    if (conversationId !== undefined && verdict.conversationId !== conversationId) {
      throw new HttpError(403, 'WrongConversation', 'The token does not grant access to this conversation.');
    }
    return { conversationId: verdict.conversationId, issuedAt: verdict.issuedAt };
  }

  const authorize = (req: Request, conversationId?: string): string => grantOf(req, conversationId).conversationId;
  /** A new token for the same grant: refreshing never extends the chain's maximum lifetime. */
  const reissue = (grant: { conversationId: string; issuedAt: number }) => tokens.issue(grant.conversationId, grant.issuedAt);

  function streamUrl(req: Request, conversationId: string, token: string, watermark?: number): string {
    const secure = req.isSecure() || req.header('x-forwarded-proto') === 'https';
    const query = new URLSearchParams({ t: token });
    if (watermark !== undefined) query.set('watermark', String(watermark));
    return `${secure ? 'wss' : 'ws'}://${req.header('host')}${BASE}/conversations/${conversationId}/stream?${query}`;
  }

  async function requireConversation(conversationId: string): Promise<void> {
    if (!(await log.exists(conversationId))) throw new HttpError(404, 'NotFound', 'No such conversation.');
  }

  /** For a step that checks the conversation exists as it reads or writes: its absence is a 404. */
  const notFound = (err: unknown): never => {
    if (err instanceof UnknownConversationError) throw new HttpError(404, 'NotFound', 'No such conversation.');
    throw err;
  };

  server.post(`${BASE}/tokens/generate`, async (_req, res) => {
    const issued = tokens.issue(newConversationId());
    res.send(200, { conversationId: issued.conversationId, token: issued.token, expires_in: issued.expiresIn });
  });

  server.post(`${BASE}/tokens/refresh`, async (req, res) => {
    const issued = reissue(grantOf(req));
    res.send(200, { conversationId: issued.conversationId, token: issued.token, expires_in: issued.expiresIn });
  });

  server.post(`${BASE}/conversations`, outageAware(async (req, res) => {
    const grant = grantOf(req);
    const { conversationId } = grant;
    const start = parseOr400(StartConversation, req.body === '' ? undefined : req.body, 'conversation start');
    const issued = reissue(grant);
    // Anonymous visitors cannot make the store grow without bound: a full house is said plainly.
    // Both asked at once (one round trip); the count only matters for a conversation not yet open.
    const [exists, open] = await Promise.all([log.exists(conversationId), log.openCount()]);
    if (!exists && open >= config.DIRECTLINE_MAX_OPEN_CONVERSATIONS) {
      res.header('Retry-After', String(RETRY_AFTER_SEC * 12));
      throw new HttpError(503, 'TooManyConversations', retryLater(requestLocale(req)));
    }
    const created = (await log.open(conversationId)) === 'created';
    res.send(created ? 201 : 200, {
      conversationId,
      token: issued.token,
      expires_in: issued.expiresIn,
      streamUrl: streamUrl(req, conversationId, issued.token),
    });
    if (!created) return;
    // Lets the bot greet; runs after the answer so a slow greeting never delays the page.
    const user = { id: start?.user?.id ?? `dl_${conversationId}`, name: start?.user?.name ?? '', role: 'user' };
    adapter
      .processActivity(
        {
          type: ActivityTypes.ConversationUpdate,
          conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
          from: user,
          membersAdded: [adapter.botAccount, user],
          ...(start?.locale ? { locale: start.locale } : {}),
        },
        run,
      )
      .catch((err: unknown) => logger?.error({ err, conversationId }, 'Direct Line conversation start turn failed'));
  }));

  server.get(`${BASE}/conversations/:conversationId`, outageAware(async (req, res) => {
    const conversationId = parseOr400(ConversationIdParam, req.params.conversationId, 'conversation id');
    const grant = grantOf(req, conversationId);
    const watermark = parseOr400(Watermark, req.query?.watermark, 'watermark');
    await requireConversation(conversationId);
    const issued = reissue(grant);
    res.send(200, {
      conversationId,
      token: issued.token,
      expires_in: issued.expiresIn,
      streamUrl: streamUrl(req, conversationId, issued.token, watermark),
    });
  }));

  server.get(`${BASE}/conversations/:conversationId/activities`, outageAware(async (req, res) => {
    const conversationId = parseOr400(ConversationIdParam, req.params.conversationId, 'conversation id');
    authorize(req, conversationId);
    const watermark = parseOr400(Watermark, req.query?.watermark, 'watermark');
    // The log's read checks that the conversation exists, in the same step: no extra round trip.
    const entries = await log.read(conversationId, watermark, PAGE_SIZE).catch(notFound);
    const last = entries.at(-1)?.seq ?? watermark;
    res.send(200, {
      activities: withIds(conversationId, entries),
      ...(last === undefined ? {} : { watermark: String(last) }),
    });
  }));

  server.post(
    `${BASE}/conversations/:conversationId/activities`,
    rateLimitBy((req) => (limitedInPre.has(req) ? undefined : req.params?.conversationId), conversationLimiter, 'conversation'),
    outageAware(async (req: Request, res) => {
      const conversationId = parseOr400(ConversationIdParam, req.params.conversationId, 'conversation id');
      authorize(req, conversationId);
      const activity = parseOr400(ClientActivity, req.body, 'activity');
      const dedupeKey = activity.channelData?.clientActivityID;
      // The log's append checks that the conversation exists, in the same step: no extra round trip.
      const received = await adapter.receive(conversationId, activity as Partial<Activity>, run, dedupeKey).catch(notFound);
      res.send(200, { id: received.id });
    }),
  );

  const stream = attachStream(server.server, { adapter, tokens, basePath: BASE, pollMs: deps.streamPollMs ?? 1000, logger });
  return { adapter, tokens, close: () => stream.close() };
}
