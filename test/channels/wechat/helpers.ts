/**
 * Test rig for the WeChat channel: a restify server with the routes, a fake WeChat API server
 * (token + customer-service send) on 127.0.0.1, a small bot, and request builders that sign and
 * encrypt exactly as WeChat does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActivityHandler, type ConversationReference, MessageFactory, TurnContext } from 'botbuilder';
import restify from 'restify';
import { WeChatConfig } from '../../../bot/channels/wechat/config.js';
import { WeChatCipher, wechatSignature } from '../../../bot/channels/wechat/crypto.js';
import { registerWeChat, type WeChatDeps } from '../../../bot/channels/wechat/routes.js';
import { HttpConfig } from '../../../bot/http/config.js';
import { hardenServer } from '../../../bot/http/harden.js';
import { cdata } from '../../../bot/channels/wechat/xml.js';
import { createLogger } from '../../../bot/logger.js';

export const TOKEN = 'forbeartoken';
export const APPID = 'wx0123456789abcdef';
export const AES_KEY = 'Zm9yYmVhci13ZWNoYXQtdGVzdC1rZXktMzItYnl0ZXM';
export const BOT_ID = 'gh_forbear';
export const PASSIVE_WINDOW_MS = 1000;

/**
 * Echoes text; "menu" offers suggested actions; "slow" answers only when the test calls
 * `finishSlowTurn()` (so it outlasts the passive window whatever the machine's load); following greets.
 */
export class TestBot extends ActivityHandler {
  turns = 0;
  private slowTurnMayFinish = () => {};
  private readonly slowTurnFinished = new Promise<void>((resolve) => (this.slowTurnMayFinish = resolve));
  finishSlowTurn(): void {
    this.slowTurnMayFinish();
  }
  received: { text: string | undefined; value: unknown }[] = [];
  references: Partial<ConversationReference>[] = [];

  constructor() {
    super();
    this.onMessage(async (context, next) => {
      this.turns++;
      this.received.push({ text: context.activity.text, value: context.activity.value });
      this.references.push(TurnContext.getConversationReference(context.activity));
      const text = context.activity.text ?? '';
      if (text === 'menu') {
        await context.sendActivity(MessageFactory.suggestedActions([
          { type: 'imBack', title: '接受', value: 'accept' },
          { type: 'postBack', title: '其他方案', value: { choice: 'other' } },
        ], '请选择：'));
      } else if (text === 'slow') {
        await this.slowTurnFinished;
        await context.sendActivity('slow part 1');
        await context.sendActivity('slow part 2');
      } else {
        await context.sendActivities([{ type: 'typing' }, { type: 'message', text: `echo: ${text}` }, { type: 'message', text: 'second line' }]);
      }
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      for (const member of context.activity.membersAdded ?? []) {
        if (member.id !== context.activity.recipient.id) await context.sendActivity('欢迎');
      }
      await next();
    });
  }
}

export interface SentMessage {
  accessToken: string | null;
  body: { touser: string; msgtype: string; text: { content: string } };
}

/** Stand-in for api.weixin.qq.com: issues numbered tokens and records customer-service messages. */
export class FakeWeChatApi {
  tokenRequests = 0;
  sent: SentMessage[] = [];
  /** errcodes to answer the next sends with, one per send, before succeeding. */
  sendErrors: number[] = [];
  private server: Server | undefined;
  private waiters: (() => void)[] = [];
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const json = (body: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
        if (url.searchParams.get('appid') !== APPID || url.searchParams.get('secret') !== 'test-secret') {
          return json({ errcode: 40013, errmsg: 'invalid appid' });
        }
        this.tokenRequests++;
        return json({ access_token: `ACCESS_TOKEN_${this.tokenRequests}`, expires_in: 7200 });
      }
      if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const accessToken = url.searchParams.get('access_token');
          const error = this.sendErrors.shift();
          if (error !== undefined) return json({ errcode: error, errmsg: 'fake error' });
          if (accessToken !== `ACCESS_TOKEN_${this.tokenRequests}`) return json({ errcode: 40001, errmsg: 'invalid credential' });
          this.sent.push({ accessToken, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          json({ errcode: 0, errmsg: 'ok' });
          for (const wake of this.waiters.splice(0)) wake();
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` messages have arrived. */
  async waitForSent(count: number): Promise<SentMessage[]> {
    while (this.sent.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.sent;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** `mode: 'plain'` leaves out the EncodingAESKey: with it set, only safe-mode requests are accepted. */
export function testConfig(apiBase: string, mode: 'safe' | 'plain' = 'safe') {
  return WeChatConfig.parse({
    WECHAT_TOKEN: TOKEN,
    WECHAT_APPID: APPID,
    WECHAT_APPSECRET: 'test-secret',
    ...(mode === 'safe' ? { WECHAT_ENCODING_AES_KEY: AES_KEY } : {}),
    WECHAT_API_BASE: apiBase,
    WECHAT_PASSIVE_REPLY_MS: String(PASSIVE_WINDOW_MS),
  });
}

export interface ServerOptions extends Pick<WeChatDeps, 'stores' | 'followerRateLimit'> {
  /** Install the shared public-endpoint hardening (global bodyParser, rate limits, headers) first, as bot/index.ts does. */
  hardened?: boolean;
  /** 'plain': no EncodingAESKey configured (明文模式); the default is safe mode. */
  mode?: 'safe' | 'plain';
}

export async function startBotServer(bot: TestBot, apiBase: string, options: ServerOptions = {}) {
  const server = restify.createServer();
  if (options.hardened) hardenServer(server, HttpConfig.parse({}));
  const adapter = registerWeChat(server, {
    bot,
    config: testConfig(apiBase, options.mode),
    logger: createLogger('silent'),
    stores: options.stores,
    followerRateLimit: options.followerRateLimit,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, adapter: adapter!, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let nextMsgId = 7_300_000_000_000_000_000n;
export function newMsgId(): string {
  nextMsgId += 1n;
  return String(nextMsgId);
}

export function textXml(openId: string, content: string, msgId: string): string {
  return (
    `<xml><ToUserName>${cdata(BOT_ID)}</ToUserName><FromUserName>${cdata(openId)}</FromUserName>` +
    `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content>${cdata(content)}</Content><MsgId>${msgId}</MsgId></xml>`
  );
}

export function mediaXml(openId: string, msgType: string, msgId: string): string {
  return (
    `<xml><ToUserName>${cdata(BOT_ID)}</ToUserName><FromUserName>${cdata(openId)}</FromUserName>` +
    `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata(msgType)}</MsgType>` +
    `<MediaId><![CDATA[media123]]></MediaId><MsgId>${msgId}</MsgId></xml>`
  );
}

export function eventXml(openId: string, event: string): string {
  return (
    `<xml><ToUserName>${cdata(BOT_ID)}</ToUserName><FromUserName>${cdata(openId)}</FromUserName>` +
    `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event>${cdata(event)}</Event></xml>`
  );
}

function signedQuery(extra: Record<string, string> = {}, timestamp = String(Math.floor(Date.now() / 1000))) {
  const nonce = randomBytes(6).toString('hex');
  return { timestamp, nonce, signature: wechatSignature([TOKEN, timestamp, nonce]), ...extra };
}

/** A plain-mode POST as WeChat sends it. */
export function postPlain(url: string, xml: string, query: Record<string, string> = signedQuery()): Promise<Response> {
  return fetch(`${url}/api/wechat?${new URLSearchParams(query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
}

export { signedQuery };

export const cipher = new WeChatCipher(AES_KEY, APPID);

export interface SafeRequest {
  query: Record<string, string>;
  body: string;
}

/** A safe-mode request as WeChat builds it: the message encrypted for `appId`, signed with msg_signature. */
export function safeRequest(xml: string, options: { appId?: string; badSignature?: boolean; timestamp?: string } = {}): SafeRequest {
  const encrypt = new WeChatCipher(AES_KEY, options.appId ?? APPID).encrypt(xml);
  const query = signedQuery({ encrypt_type: 'aes', openid: 'ignored' }, options.timestamp);
  const msgSignature = wechatSignature([TOKEN, query.timestamp, query.nonce, options.badSignature ? `${encrypt}x` : encrypt]);
  const body = `<xml><ToUserName>${cdata(BOT_ID)}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt></xml>`;
  return { query: { ...query, msg_signature: msgSignature }, body };
}

export function postRequest(url: string, request: SafeRequest): Promise<Response> {
  return postPlain(url, request.body, request.query);
}

/** A safe-mode POST: the message encrypted for `appId`, signed with msg_signature. */
export function postSafe(url: string, xml: string, options: { appId?: string; badSignature?: boolean } = {}): Promise<Response> {
  return postRequest(url, safeRequest(xml, options));
}
