/**
 * HTTP endpoints WeChat calls: `GET /api/wechat` (server verification) and `POST /api/wechat`
 * (messages, plain or safe mode). Every failure is a short status line; nothing from a stack or
 * from the request is echoed back.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TurnContext } from 'botbuilder';
import type restify from 'restify';
import { z } from 'zod';
import type { Logger } from '../../logger.js';
import { t } from '../../../conversation/messages/index.js';
import { createRateLimiter, type RateLimit } from '../../http/rateLimit.js';
import { memoryStores, type Stores } from '../../storage/index.js';
import { CHOICE_STORE, type TurnMessage, WeChatAdapter, type WeChatTurn } from './adapter.js';
import { WeChatApi } from './api.js';
import type { WeChatConfig } from './config.js';
import { signatureMatches, WeChatCipher, WeChatCryptoError, wechatSignature } from './crypto.js';
import {
  EncryptedEnvelope,
  encryptedReplyXml,
  InboundMessage,
  MAX_XML_BYTES,
  parseWeChatXml,
  textReplyXml,
  XmlRejectedError,
} from './xml.js';

export const WECHAT_PATH = '/api/wechat';
/** MsgIds are remembered longer than any retry of WeChat's (three, within ~15 s) and than the timestamp window. */
const DEDUPE_TTL_SEC = 600;
/** WeChat retries at about 5, 10 and 15 s; a finished turn stays answerable for retries that long. */
const RETAIN_FINISHED_MS = 30_000;

export interface WeChatDeps {
  /** Any Bot Framework bot (an ActivityHandler). */
  bot: { run(context: TurnContext): Promise<void> };
  /** `loadWeChatConfig()`; when `undefined` (no WECHAT_TOKEN) nothing is registered. */
  config: WeChatConfig | undefined;
  logger: Logger;
  /** Defaults to a WeChatAdapter that sends through the customer-service API of `config`. */
  adapter?: WeChatAdapter;
  /** MsgId de-duplication and numbered-choice memory; pass the Redis stores when running several instances. */
  stores?: Pick<Stores, 'dedupe' | 'keyValue'> & Partial<Pick<Stores, 'redis'>>;
  /** Messages per follower; beyond it the follower is asked to slow down and no turn runs. */
  followerRateLimit?: RateLimit;
}

/**
 * Each signed (timestamp, nonce) pair is remembered for as long as its timestamp is acceptable,
 * bound to a digest of the request it came with. The pair may come again only with the very same
 * request (WeChat retrying it, which the MsgId de-duplication then answers without a new turn);
 * with anything else it is a captured signature being reused, and refused. In the shared stores
 * when running several instances, so the other instance refuses it too.
 */
const NONCE_STORE = { namespace: 'wechat-nonce', schema: z.string(), scope: 'global' } as const;

/** A person types far slower than this; WeChat's own retries do not count (they join the running turn). */
const DEFAULT_FOLLOWER_RATE: RateLimit = { ratePerSec: 0.5, burst: 10 };

class BodyTooLargeError extends Error {}

/** What a global restify bodyParser leaves for XML: the raw text (or bytes, for application/xml). */
const PreparsedBody = z.union([z.string(), z.instanceof(Buffer).transform((b) => b.toString('utf8'))]);

/**
 * Reads the raw body up to `limit` bytes. restify's bodyReader is not used because it keeps
 * reading past the limit and inflates gzip without bounding the output. If a global body parser
 * already consumed the stream, its raw copy is used (and still held to the limit).
 */
function readBody(req: restify.Request, limit: number): Promise<string> {
  if (req.readableEnded) {
    const body = PreparsedBody.safeParse(req.body ?? '');
    if (!body.success) return Promise.reject(new XmlRejectedError('malformed'));
    return Buffer.byteLength(body.data, 'utf8') > limit ? Promise.reject(new BodyTooLargeError()) : Promise.resolve(body.data);
  }
  return readStream(req, limit);
}

function readStream(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(new BodyTooLargeError());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const Timestamp = z.string().regex(/^\d{1,12}$/);
const Nonce = z.string().min(1).max(64);
const VerifyQuery = z.object({ signature: z.string(), timestamp: Timestamp, nonce: Nonce, echostr: z.string().min(1).max(512) });
const MessageQuery = z.object({
  signature: z.string().optional(),
  msg_signature: z.string().optional(),
  timestamp: Timestamp,
  nonce: Nonce,
  encrypt_type: z.enum(['raw', 'aes']).optional(),
});

function queryOf(req: restify.Request): Record<string, string> {
  return Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams);
}

function send(res: restify.Response, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.sendRaw(status, body, { 'content-type': contentType, 'cache-control': 'no-store' });
}

/** Registers both routes; returns the adapter (for proactive messages), or `undefined` when WeChat is off. */
export function registerWeChat(server: restify.Server, deps: WeChatDeps): WeChatAdapter | undefined {
  const { config, logger, bot } = deps;
  if (config === undefined) return undefined;
  const stores = deps.stores ?? memoryStores();
  const adapter =
    deps.adapter ??
    new WeChatAdapter({
      sender: new WeChatApi({
        baseUrl: config.WECHAT_API_BASE,
        appId: config.WECHAT_APPID,
        appSecret: config.WECHAT_APPSECRET,
        timeoutMs: config.WECHAT_API_TIMEOUT_MS,
        logger,
      }),
      logger,
      locale: config.WECHAT_LOCALE,
      choices: stores.keyValue(CHOICE_STORE),
      serviceUrl: config.WECHAT_API_BASE,
    });
  const dedupe = stores.dedupe;
  const shared = deps.stores?.redis;
  const followerLimiter = createRateLimiter(deps.followerRateLimit ?? DEFAULT_FOLLOWER_RATE, 'wechat-follower', shared ? { client: shared.client, prefix: shared.keys.prefix } : null);
  const cipher = config.WECHAT_ENCODING_AES_KEY ? new WeChatCipher(config.WECHAT_ENCODING_AES_KEY, config.WECHAT_APPID) : undefined;
  const token = config.WECHAT_TOKEN;
  const windowSec = config.WECHAT_TIMESTAMP_WINDOW_SEC;
  const nonces = stores.keyValue(NONCE_STORE);
  const passiveWindowMs = config.WECHAT_PASSIVE_REPLY_MS;
  /** Turns by message id, so WeChat's retries join the running turn instead of starting another. */
  const inflight = new Map<string, Promise<WeChatTurn | undefined>>();
  const logic = (context: TurnContext) => bot.run(context);

  /** The running turn for `id`, `undefined` for a duplicate seen before, or 'rate_limited'. */
  async function turnFor(id: string, message: TurnMessage): Promise<WeChatTurn | 'rate_limited' | undefined> {
    const known = inflight.get(id);
    if (known) return known;
    const verdict = await followerLimiter.take(message.FromUserName);
    // A retry of the same message may have started the turn while the count was being checked.
    const joined = inflight.get(id);
    if (joined) return joined;
    if (!verdict.allowed) return 'rate_limited';
    const started = dedupe.firstSeen('wechat', id, DEDUPE_TTL_SEC).then((first) => (first ? adapter.receive(message, logic) : undefined));
    inflight.set(id, started);
    const forget = () => setTimeout(() => inflight.delete(id), RETAIN_FINISHED_MS).unref();
    started.then((turn) => (turn ? turn.done.then(forget) : forget()), () => inflight.delete(id));
    return started;
  }

  async function passive(id: string, message: TurnMessage): Promise<string | undefined> {
    const turn = await turnFor(id, message);
    if (turn === 'rate_limited') return t(adapter.locale, 'wechat.rate_limited');
    return turn?.passiveReply(passiveWindowMs);
  }

  /** The passive reply text for a message, or `undefined` for "success". */
  async function answer(message: InboundMessage): Promise<string | undefined> {
    switch (message.MsgType) {
      case 'text':
        return passive(message.MsgId, message);
      case 'event': {
        // Following the account starts the conversation (conversationUpdate, like Web Chat); other events carry nothing to answer.
        if (message.Event !== 'subscribe') return undefined;
        return passive(`${message.FromUserName}:${message.CreateTime}:subscribe`, message);
      }
      default:
        return t(adapter.locale, 'channel.unsupported_message');
    }
  }

  /**
   * The signature is right, the timestamp inside the window, and the (timestamp, nonce) pair has not
   * come with any other request. `request` is what the pair is bound to (the raw body, or echostr).
   */
  async function authentic(signature: string | undefined, parts: string[], query: { timestamp: string; nonce: string }, request: string): Promise<boolean> {
    const skew = Math.abs(Date.now() / 1000 - Number(query.timestamp));
    if (!signatureMatches(wechatSignature([token, ...parts]), signature) || skew > windowSec) return false;
    const digest = createHash('sha256').update(request).digest('base64url');
    const bound = await nonces.update(`${query.timestamp}:${query.nonce}`, (seen) => seen ?? digest, 2 * windowSec + 60);
    if (bound === digest) return true;
    logger.warn({ channel: 'wechat' }, 'wechat signature reused with another request (replay) refused');
    return false;
  }

  server.get(WECHAT_PATH, async (req: restify.Request, res: restify.Response) => {
    const query = VerifyQuery.safeParse(queryOf(req));
    if (!query.success || !(await authentic(query.data.signature, [query.data.timestamp, query.data.nonce], query.data, `GET ${query.data.echostr}`))) {
      logger.warn({ channel: 'wechat' }, 'wechat verification refused');
      return send(res, 401, 'invalid signature');
    }
    send(res, 200, query.data.echostr);
  });

  server.post(WECHAT_PATH, async (req: restify.Request, res: restify.Response) => {
    try {
      const query = MessageQuery.safeParse(queryOf(req));
      if (!query.success) return send(res, 401, 'invalid signature');
      const { timestamp, nonce } = query.data;
      const safeMode = query.data.encrypt_type === 'aes';
      if (req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity') {
        return send(res, 415, 'content encoding not supported');
      }
      const body = await readBody(req, MAX_XML_BYTES);

      let xml = body;
      if (safeMode) {
        if (cipher === undefined) return send(res, 400, 'safe mode is not configured');
        const envelope = parseWeChatXml(body, EncryptedEnvelope);
        if (!(await authentic(query.data.msg_signature, [timestamp, nonce, envelope.Encrypt], query.data, body))) {
          return send(res, 401, 'invalid signature');
        }
        xml = cipher.decrypt(envelope.Encrypt);
      } else if (cipher !== undefined) {
        // With a key configured, a plain request can only be a forgery: its signature does not cover the message.
        logger.warn({ channel: 'wechat' }, 'plain-mode request refused: safe mode is configured');
        return send(res, 401, 'safe mode required');
      } else if (!(await authentic(query.data.signature, [timestamp, nonce], query.data, body))) {
        return send(res, 401, 'invalid signature');
      }

      const message = parseWeChatXml(xml, InboundMessage);
      const content = await answer(message);
      if (content === undefined) return send(res, 200, 'success');
      const reply = textReplyXml({
        toUser: message.FromUserName,
        fromUser: message.ToUserName,
        createTime: Math.floor(Date.now() / 1000),
        content,
      });
      if (!safeMode || cipher === undefined) return send(res, 200, reply, 'application/xml; charset=utf-8');
      const encrypt = cipher.encrypt(reply);
      const replyTimestamp = String(Math.floor(Date.now() / 1000));
      const replyNonce = randomBytes(8).toString('hex');
      const signature = wechatSignature([token, replyTimestamp, replyNonce, encrypt]);
      send(res, 200, encryptedReplyXml({ encrypt, signature, timestamp: replyTimestamp, nonce: replyNonce }), 'application/xml; charset=utf-8');
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return send(res, 413, 'request body too large');
      }
      if (error instanceof XmlRejectedError) {
        logger.warn({ channel: 'wechat', reason: error.reason }, 'wechat request rejected');
        return send(res, error.reason === 'too_large' ? 413 : 400, 'bad request');
      }
      if (error instanceof WeChatCryptoError) {
        logger.warn({ channel: 'wechat', reason: error.failure }, 'wechat ciphertext rejected');
        return send(res, error.failure === 'appid_mismatch' ? 401 : 400, 'bad request');
      }
      logger.error({ channel: 'wechat', err: error instanceof Error ? error.message : String(error) }, 'wechat request failed');
      if (!res.headersSent) send(res, 500, 'internal error');
    }
  });

  return adapter;
}
