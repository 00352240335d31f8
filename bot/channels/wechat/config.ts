/**
 * WeChat Official Account (公众号) settings. The channel is off unless `WECHAT_TOKEN` is set; once it
 * is on, everything the protocol needs must be valid, so a typo stops start-up instead of
 * surfacing as 401s from WeChat hours later.
 */
import { z } from 'zod';
import { Language } from '../../../conversation/language.js';
import { intFromEnv, optionalString, parseEnv } from '../../http/env.js';

/** Required once the channel is on; unset gets a message saying so rather than zod's "expected string". */
const required = (pattern: RegExp, message: string) =>
  optionalString.pipe(z.string({ error: 'must be set when WECHAT_TOKEN is set' }).regex(pattern, message));

/** 43 base64 characters that decode to the 32-byte AES key (the console never shows the '='). */
export const EncodingAesKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]{43}$/, 'must be the 43-character EncodingAESKey from the WeChat console (base64, no "=")')
  .refine((k) => Buffer.from(`${k}=`, 'base64').length === 32, 'does not decode to a 32-byte key');

export const WeChatConfig = z.object({
  /** The Token typed into 公众号 console → 设置与开发 → 基本配置 → 服务器配置; WeChat allows 3–32 letters and digits. */
  WECHAT_TOKEN: required(/^[A-Za-z0-9]{3,32}$/, 'must be 3-32 letters or digits, as in the WeChat console'),
  WECHAT_APPID: required(/^wx[0-9a-f]{16}$/i, 'must look like wx followed by 16 hex digits'),
  WECHAT_APPSECRET: required(/./, 'must be set when WECHAT_TOKEN is set'),
  /**
   * Set it (安全模式, recommended): only encrypted requests with a valid msg_signature are accepted,
   * and plain ones are refused. Unset, plain-mode requests are accepted; their signature does not
   * cover the message, so only the nonce memory stands between a captured query string and a forgery.
   */
  WECHAT_ENCODING_AES_KEY: optionalString.pipe(EncodingAesKey.optional()),
  WECHAT_API_BASE: optionalString.pipe(z.url().default('https://api.weixin.qq.com')),
  /** WeChat waits 5 s for a passive reply; after this many ms the turn goes to the customer-service API instead. */
  WECHAT_PASSIVE_REPLY_MS: intFromEnv(4000, 100, 4800),
  WECHAT_API_TIMEOUT_MS: intFromEnv(5000, 100, 60_000),
  /** A signed request whose timestamp is further than this from our clock is refused (WeChat retries within ~15 s). */
  WECHAT_TIMESTAMP_WINDOW_SEC: intFromEnv(60, 10, 300),
  /** WeChat does not say the follower's language; this is the turn's locale. */
  WECHAT_LOCALE: optionalString.pipe(Language.default('zh-CN')),
});
export type WeChatConfig = z.infer<typeof WeChatConfig>;

/** `undefined` when the channel is off; throws a ConfigError with every bad variable named when it is on. */
export function loadWeChatConfig(env: NodeJS.ProcessEnv = process.env): WeChatConfig | undefined {
  if (!env.WECHAT_TOKEN?.trim()) return undefined;
  return parseEnv(WeChatConfig, env);
}
