/**
 * The HTTP server: every channel (Bot Framework `/api/messages`, the self-hosted Direct Line for the
 * web page, WeChat) runs the same bot behind the same middleware — per-conversation serialisation
 * across instances, the transcript, and one turn-error policy: a store outage gets a polite "try
 * again shortly" in the cardholder's language, never a crash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import restify, { type Server } from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { BotAdapter, Middleware, TurnContext } from 'botbuilder-core';
import { typingIndicator } from './channels/typing.js';
import type { Forbear } from './app.js';
import type { Config } from './config.js';
import { registerDirectLine, type DirectLineChannel } from './channels/directline/routes.js';
import { RedisConversationLog } from './channels/directline/redisStore.js';
import { registerWeChat, WECHAT_PATH } from './channels/wechat/routes.js';
import type { WeChatAdapter } from './channels/wechat/adapter.js';
import { hardenServer, listenHost } from './http/index.js';
import { HttpError } from './http/errors.js';
import { localeLanguage } from '../conversation/language.js';
import { t } from '../conversation/messages/index.js';
import { isUnavailability } from './storage/errors.js';
import { AccountServiceUnavailableError } from '../conversation/accounts.js';
import { registerWebChat } from './web/routes.js';
import { runRetention } from './transcripts/retention.js';
import { registerAgentConsole } from './agent/routes.js';
import { registerSignIn } from './auth/routes.js';
import { registerComplianceConsole } from './compliance/routes.js';
import { registerOpsDashboard } from './operations/routes.js';
import type { Proactive } from './agent/actions.js';
import { LiveSession, SessionSigner, UserRevocation } from './auth/session.js';
import { LoginGuard } from './auth/loginGuard.js';
import { loadConsoleUsers } from './auth/users.js';
import { DIRECT_LINE_SERVICE_URL } from './channels/directline/adapter.js';
import { WECHAT_CHANNEL_ID, openIdOf } from './channels/wechat/adapter.js';
import { registerPayments, PAYMENTS_PATH } from './lifecycle/routes.js';
import type { WeChatSender } from './lifecycle/channels.js';
import { registerDocuments } from './lifecycle/documentRoutes.js';

export interface RunningServer {
  server: Server;
  url: string;
  directLine: DirectLineChannel;
  wechat: WeChatAdapter | undefined;
  close(): Promise<void>;
}

const TYPING_DELAY_MS = 400;
const TYPING_PERIOD_MS = 2000;

/** Two messages of one conversation never run at once, on this instance or any other. */
function serialised(forbear: Forbear): Middleware {
  return {
    onTurn: (context, next) => forbear.stores.lock.withLock(context.activity.conversation.id, next),
  };
}

function onTurnError(forbear: Forbear) {
  return async (context: TurnContext, error: Error): Promise<void> => {
    const unavailable = isUnavailability(error) || error instanceof AccountServiceUnavailableError;
    forbear.logger[unavailable ? 'warn' : 'error'](
      { err: error, conversationId: context.activity.conversation?.id, channel: context.activity.channelId },
      unavailable ? 'turn failed: store unavailable' : 'turn failed',
    );
    const lang = localeLanguage(context.activity.locale) ?? 'zh-CN';
    try {
      await context.sendActivity(t(lang, unavailable ? 'service.retry_later' : 'service.error'));
    } catch {
      // The channel's own store may be the thing that is down: make the HTTP answer say so.
      throw new HttpError(503, 'ServiceUnavailable', t(lang, 'service.retry_later'));
    }
  };
}

/**
 * `typing`: channels that show a typing indicator get one when a turn is slow (an LLM call);
 * WeChat has no such thing in a passive reply.
 */
function prepare(adapter: BotAdapter, forbear: Forbear, { typing }: { typing: boolean }): void {
  if (typing) adapter.use(typingIndicator(forbear.logger, TYPING_DELAY_MS, TYPING_PERIOD_MS));
  adapter.use(serialised(forbear));
  adapter.use(forbear.transcriptMiddleware);
  adapter.onTurnError = onTurnError(forbear);
}

export async function startServer(forbear: Forbear, config: Config): Promise<RunningServer> {
  const { logger, bot, stores } = forbear;
  const server = restify.createServer({ name: 'forbear', handleUncaughtExceptions: false });
  // Signed callers from a few addresses (WeChat's servers, the issuer's payment system) are exempt from the per-IP limit.
  // Counted in Redis when the deployment shares one, so N instances allow each limit once.
  const rateLimitStore = stores.redis ? { client: stores.redis.client, prefix: stores.redis.keys.prefix } : null;
  hardenServer(server, config, logger, { ipLimitExemptPaths: [WECHAT_PATH, PAYMENTS_PATH], rateLimitStore });

  // The Bot Framework channel's adapter is the `botbuilder` package's (its index loads the Azure
  // channel's authentication, HTTP and streaming clients: ≈ 60 ms of CPU at start-up). A deployment
  // that configures the channel builds it at start, so a bad MicrosoftApp* setting stops start-up
  // as before; with none set (nothing to get wrong) it is built by the first request that needs it.
  let cloud: Promise<CloudAdapter> | undefined;
  const cloudAdapter = () =>
    (cloud ??= import('botbuilder').then(({ CloudAdapter, ConfigurationBotFrameworkAuthentication }) => {
      const adapter = new CloudAdapter(
        new ConfigurationBotFrameworkAuthentication({
          MicrosoftAppId: config.MicrosoftAppId,
          MicrosoftAppPassword: config.MicrosoftAppPassword,
          MicrosoftAppType: config.MicrosoftAppType,
          MicrosoftAppTenantId: config.MicrosoftAppTenantId,
        }),
      );
      prepare(adapter, forbear, { typing: true });
      return adapter;
    }));
  if (config.MicrosoftAppId ?? config.MicrosoftAppPassword ?? config.MicrosoftAppType ?? config.MicrosoftAppTenantId) await cloudAdapter();
  server.post('/api/messages', async (req, res) => {
    await (await cloudAdapter()).process(req, res, (context) => bot.run(context));
  });

  const directLine = registerDirectLine(server, {
    bot,
    config,
    logger,
    lock: stores.lock,
    retryLater: (locale) => t(localeLanguage(locale) ?? 'zh-CN', 'service.retry_later'),
    storedText: async (context) => (await forbear.inbound.of(context)).stored,
    rateLimitStore,
    ...(stores.redis ? { log: new RedisConversationLog(stores.redis.client, stores.redis.keys, config.DIRECTLINE_CONVERSATION_TTL_SEC, config.UNSTARTED_CONVERSATION_TTL_SEC) } : {}),
  });
  prepare(directLine.adapter, forbear, { typing: true });

  const wechat = registerWeChat(server, { bot, config: config.wechat, logger, stores });
  if (wechat) prepare(wechat, forbear, { typing: false });

  registerWebChat(server);
  registerPayments(server, {
    book: forbear.lifecycle.book,
    dedupe: stores.dedupe,
    clock: forbear.clock,
    logger,
    secret: config.PAYMENTS_WEBHOOK_SECRET,
    toleranceSec: config.PAYMENTS_WEBHOOK_TOLERANCE_SEC,
  });
  forbear.lifecycle.start(wechat ? { wechat: { sender: wechat.sender as WeChatSender, openIdOf: (id) => openIdOf(id) } } : {});

  const { users, demo } = loadConsoleUsers(config.CONSOLE_USERS);
  if (demo) logger.warn('CONSOLE_USERS is not set: demo console users agent / supervisor / compliance / operations exist (passwords <role>-demo)');
  const signer = new SessionSigner(
    config.CONSOLE_SESSION_SECRET ?? randomBytes(32).toString('hex'),
    config.CONSOLE_SESSION_TTL_SEC,
    {
      live: stores.keyValue({ namespace: 'console-session', schema: LiveSession, scope: 'global' }),
      revoked: stores.keyValue({ namespace: 'console-revoked', schema: UserRevocation, scope: 'global' }),
    },
    { secure: config.COOKIE_SECURE },
  );
  /** An agent's action reaches the cardholder through the adapter of the channel they wrote on. */
  const proactive: Proactive = (reference, logic) => {
    if (reference.channelId === WECHAT_CHANNEL_ID && wechat) return wechat.continueConversationAsync('', reference, logic);
    if (reference.channelId === 'directline' && reference.serviceUrl === DIRECT_LINE_SERVICE_URL) {
      return directLine.adapter.continueConversationAsync('', reference, logic);
    }
    return cloudAdapter().then((cloud) => cloud.continueConversationAsync(config.MicrosoftAppId ?? '', reference, logic));
  };
  registerSignIn(server, { users, signer, loginGuard: new LoginGuard(rateLimitStore) });
  const agentConsole = registerAgentConsole(server, { forbear, users, signer, proactive, dispositions: config.CASE_DISPOSITIONS });
  registerComplianceConsole(server, { forbear, signer, defaultPolicy: config.DEFAULT_POLICY });
  registerOpsDashboard(server, { forbear, signer });
  registerDocuments(server, { forbear, signer });

  server.get('/healthz', async (_req, res) => {
    res.json(200, { status: 'ok' });
  });
  server.get('/readyz', async (_req, res) => {
    const store = await stores.health();
    res.json(store.status === 'up' ? 200 : 503, { status: store.status === 'up' ? 'ready' : 'not_ready', store });
  });
  // Metrics describe the business (outcomes, handoff reasons): never public. On the chat port only
  // with a bearer token; otherwise on their own port, bound to loopback unless told otherwise.
  const metricsBody = async () => ({ body: await forbear.metrics.registry.metrics(), type: forbear.metrics.registry.contentType });
  if (config.METRICS_TOKEN) {
    const expected = createHash('sha256').update(`Bearer ${config.METRICS_TOKEN}`).digest();
    server.get('/metrics', async (req, res) => {
      const given = createHash('sha256').update(req.header('authorization') ?? '').digest();
      if (!timingSafeEqual(given, expected)) {
        res.sendRaw(401, 'metrics need the bearer token\n', { 'content-type': 'text/plain; charset=utf-8' });
        return;
      }
      const { body, type } = await metricsBody();
      res.sendRaw(200, body, { 'content-type': type });
    });
  }
  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : createHttpServer((req, res) => {
          // restify patches ServerResponse, so writeHead's return value is not relied on.
          const answer = (status: number, body = '', type = 'text/plain; charset=utf-8') => {
            res.statusCode = status;
            res.setHeader('content-type', type);
            res.end(body);
          };
          if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return answer(404);
          metricsBody().then(({ body, type }) => answer(200, body, type), () => answer(500));
        });
  if (metricsServer) {
    await new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(config.METRICS_PORT, config.METRICS_HOST ?? '127.0.0.1', () => resolve());
    });
  }

  // Expired conversations are removed by a job; each removal is logged in the retention chain first.
  const retention =
    config.RETENTION_INTERVAL_MIN > 0
      ? setInterval(() => {
          runRetention(forbear.transcripts, { now: forbear.clock.now(), olderThanDays: config.RETENTION_DAYS }).then(
            (run) => logger.info({ removed: run.removed.length, cutoff: run.cutoff }, 'retention job'),
            (err: unknown) => logger.warn({ err }, 'retention job failed; it runs again at the next interval'),
          );
        }, config.RETENTION_INTERVAL_MIN * 60_000)
      : undefined;
  retention?.unref();

  const host = listenHost(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, host, () => resolve());
  });
  const address = (server.server as HttpServer).address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`;
  logger.info({ url, wechat: wechat !== undefined }, 'forbear listening');

  return {
    server,
    url,
    directLine,
    wechat,
    close: async () => {
      clearInterval(retention);
      directLine.close();
      agentConsole.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await forbear.close();
    },
  };
}
