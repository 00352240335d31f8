/**
 * Client for the two WeChat server APIs the channel needs: `GET /cgi-bin/token` (access_token,
 * cached until shortly before it expires) and `POST /cgi-bin/message/custom/send` (客服消息, the
 * only way to reach a follower once the 5-second passive-reply window has passed).
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { z } from 'zod';
import type { Logger } from '../../logger.js';

const ApiError = z.object({ errcode: z.number().int(), errmsg: z.string().optional() });
const TokenResponse = z.union([
  z.object({ access_token: z.string().min(1), expires_in: z.number().int().positive() }),
  ApiError,
]);

/** errcodes that mean "the access_token you sent is no longer good". */
const STALE_TOKEN = new Set([40001, 40014, 42001]);
/** -1 is WeChat's "system busy, retry later". */
const BUSY = -1;
/** Refresh this long before WeChat's stated expiry so a token never dies mid-request. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export class WeChatApiError extends Error {
  constructor(
    message: string,
    readonly errcode?: number,
  ) {
    super(message);
    this.name = 'WeChatApiError';
  }
}

export interface WeChatApiOptions {
  baseUrl: string;
  appId: string;
  appSecret: string;
  timeoutMs: number;
  logger: Logger;
  now?: () => number;
}

/** What the adapter needs from WeChat; tests and other transports can supply their own. */
export interface CustomerServiceSender {
  sendText(openId: string, content: string): Promise<void>;
}

const isTransient = (error: Error) =>
  error instanceof WeChatApiError ? error.errcode === BUSY : error.name === 'TimeoutError' || error instanceof TypeError;

export class WeChatApi implements CustomerServiceSender {
  private token: { value: string; expiresAt: number } | undefined;
  private tokenRequest: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly transient = retry(handleWhen(isTransient), {
    maxAttempts: 2,
    backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 1000 }),
  });

  constructor(private readonly options: WeChatApiOptions) {
    this.now = options.now ?? Date.now;
  }

  async sendText(openId: string, content: string): Promise<void> {
    const body = { touser: openId, msgtype: 'text', text: { content } };
    try {
      await this.transient.execute(() => this.postWithToken('/cgi-bin/message/custom/send', body));
    } catch (error) {
      this.options.logger.error({ err: describe(error), openId }, 'wechat customer-service send failed');
      throw error;
    }
  }

  /**
   * A template message (模板消息), the only way to reach a follower outside the 48-hour
   * customer-service window; `data` fills the template's fields, configured in the 公众号 console.
   */
  async sendTemplate(openId: string, templateId: string, data: Record<string, string>): Promise<void> {
    const body = { touser: openId, template_id: templateId, data: Object.fromEntries(Object.entries(data).map(([k, value]) => [k, { value }])) };
    try {
      await this.transient.execute(() => this.postWithToken('/cgi-bin/message/template/send', body));
    } catch (error) {
      this.options.logger.error({ err: describe(error), openId }, 'wechat template send failed');
      throw error;
    }
  }

  private async postWithToken(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const url = this.url(path, { access_token: token });
      const result = ApiError.safeParse(await this.fetchJson(url, { method: 'POST', body: JSON.stringify(body) }));
      if (!result.success) throw new WeChatApiError(`unexpected response from ${path}`);
      const { errcode, errmsg } = result.data;
      if (errcode === 0) return;
      if (STALE_TOKEN.has(errcode) && attempt === 0) {
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      throw new WeChatApiError(`${path} failed: ${errcode} ${errmsg ?? ''}`.trim(), errcode);
    }
  }

  /** One token request at a time: concurrent senders share it instead of invalidating each other's tokens. */
  private accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > this.now()) return Promise.resolve(this.token.value);
    this.tokenRequest ??= this.fetchToken().finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private async fetchToken(): Promise<string> {
    const { appId, appSecret } = this.options;
    const url = this.url('/cgi-bin/token', { grant_type: 'client_credential', appid: appId, secret: appSecret });
    const parsed = TokenResponse.safeParse(await this.fetchJson(url, { method: 'GET' }));
    if (!parsed.success) throw new WeChatApiError('unexpected response from /cgi-bin/token');
    if ('errcode' in parsed.data) {
      throw new WeChatApiError(`/cgi-bin/token failed: ${parsed.data.errcode} ${parsed.data.errmsg ?? ''}`.trim(), parsed.data.errcode);
    }
    const lifetimeMs = parsed.data.expires_in * 1000;
    this.token = { value: parsed.data.access_token, expiresAt: this.now() + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, lifetimeMs / 2) };
    return this.token.value;
  }

  private url(path: string, query: Record<string, string>): URL {
    // Relative to the base so a base with a path prefix (a proxy, a fake server) keeps it.
    const base = this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
    const url = new URL(path.slice(1), base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  private async fetchJson(url: URL, init: RequestInit): Promise<unknown> {
    const response = await fetch(url, {
      ...init,
      headers: init.body === undefined ? undefined : { 'content-type': 'application/json; charset=utf-8' },
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) throw new WeChatApiError(`HTTP ${response.status} from ${url.pathname}`);
    return response.json();
  }
}

/** Error summary for logs: never the URL, which carries the access_token or the secret. */
function describe(error: unknown): { name: string; message: string; errcode?: number } {
  if (error instanceof WeChatApiError) return { name: error.name, message: error.message, errcode: error.errcode };
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'unknown', message: String(error) };
}
