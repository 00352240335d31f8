/**
 * The one configuration loader: the server, the HTTP surface, Direct Line, WeChat, the LLM, Redis
 * and the lifecycle all read the environment here, with the same helpers (`http/env.ts`) and the
 * same error (`ConfigError`). A bad value stops the process with exit 2 and a message naming every
 * bad variable, before anything listens; unset values fall back to the embedded defaults.
 */
import { z } from 'zod';
import { DirectLineConfig } from './channels/directline/config.js';
import { loadWeChatConfig, type WeChatConfig } from './channels/wechat/config.js';
import { HttpConfig } from './http/config.js';
import { ConfigError, flagFromEnv, intFromEnv, optionalString, parseEnv, secretFromEnv } from './http/env.js';
import { LifecycleConfig } from './lifecycle/config.js';
import { loadRedisSettings, type RedisSettings } from './storage/redis.js';
import { loadLlmSettings, type LlmSettings } from './understanding/llm/config.js';

export { ConfigError, exitOnConfigError } from './http/env.js';

export const ServerEnv = z
  .object({
  PORT: intFromEnv(3978, 0, 65_535),
  /** Loopback unless the Bot Framework auth is on or an operator opts in explicitly. */
  HOST: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEFAULT_POLICY: z.string().default('default-cn'),
  VERIFICATION_MAX_ATTEMPTS: intFromEnv(3, 1, 10),
  ACCOUNT_SERVICE_URL: optionalString.pipe(z.url().optional()),
  ACCOUNT_SERVICE_TIMEOUT_MS: intFromEnv(3000, 100, 60_000),
  MicrosoftAppId: optionalString,
  MicrosoftAppPassword: optionalString,
  MicrosoftAppType: optionalString,
  MicrosoftAppTenantId: optionalString,
  /** Agent team's local opening hours, "HH:MM-HH:MM" in the default policy's timezone; unset = always staffed. */
  HANDOFF_HOURS: optionalString.pipe(
    z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM-HH:MM')
      .transform((v) => ({ start: v.slice(0, 5), end: v.slice(6) }))
      .optional(),
  ),
  /** Average handling time per case ahead in the queue, for the wait the cardholder is told. */
  HANDOFF_MINUTES_PER_CASE: intFromEnv(5, 1, 240),
  /** Unclaimed this long, a cardholder who writes is offered a call-back or the bot; 0 = never. */
  HANDOFF_QUEUE_TIMEOUT_MIN: intFromEnv(30, 0, 1440),
  /** `name:role:scrypt$salt$hash,…` (npm run -s users -- hash <password>); unset = demo users. */
  CONSOLE_USERS: optionalString,
  /** Signs console session cookies (≥ 32 characters); unset = random per process. */
  CONSOLE_SESSION_SECRET: optionalString.pipe(z.string().min(32, 'CONSOLE_SESSION_SECRET must be at least 32 characters').optional()),
  CONSOLE_SESSION_TTL_SEC: intFromEnv(8 * 3600, 60, 7 * 86_400),
  /** `true` when the consoles are served over HTTPS (directly or behind a TLS-terminating proxy): the session cookie gets `Secure`. */
  COOKIE_SECURE: flagFromEnv,
  /** The closed list of disposition codes an agent closes a case with (labels: `agent.disposition_<code>`). */
  CASE_DISPOSITIONS: z
    .string()
    .default('resolved,callback_arranged,referred_specialist,hardship_review,dispute_opened,declined_terms,no_response')
    .transform((v) => v.split(',').map((code) => code.trim()))
    .pipe(z.array(z.string().regex(/^[a-z_]{1,40}$/, 'CASE_DISPOSITIONS: comma-separated codes of a-z and _')).min(1)),
  /** Conversations are kept this long after their last activity (China ≥ 2 years, Regulation F 3 years). */
  RETENTION_DAYS: intFromEnv(1095, 1, 36_500),
  /** How often the retention job runs; 0 turns it off (run `npm run -s transcripts -- retention` instead). */
  RETENTION_INTERVAL_MIN: intFromEnv(1440, 0, 525_600),
  /** Champion/challenger file (YAML): which challenger policy takes which share of each bucket; unset = champions only. */
  CHALLENGERS_FILE: optionalString,
  /**
   * Keys the transcript chain and signs its checkpoints (≥ 32 characters, the same on every
   * instance, never stored in Redis). Required with Redis; unset in the embedded set-up = a random
   * key per process (the in-memory transcripts die with it), with a warning.
   */
  TRANSCRIPT_HMAC_KEY: secretFromEnv('TRANSCRIPT_HMAC_KEY'),
  /** Where signed checkpoints of transcript heads are appended (outside Redis); default data/checkpoints with Redis, memory when embedded. */
  TRANSCRIPT_CHECKPOINT_DIR: optionalString,
  /** `/metrics` on the chat port answers only `Authorization: Bearer <token>` (≥ 32 characters); unset = not on the chat port. */
  METRICS_TOKEN: optionalString.pipe(z.string().min(32, 'METRICS_TOKEN must be at least 32 characters').optional()),
  /** `/metrics` on its own port (for the scraper, behind the firewall); unset = no separate port. */
  METRICS_PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(65_535).optional()),
  /** Address of the metrics port; default 127.0.0.1. */
  METRICS_HOST: optionalString,
})
  .extend(HttpConfig.shape)
  .extend(DirectLineConfig.shape)
  .extend(LifecycleConfig.shape);
export type ServerEnv = z.infer<typeof ServerEnv>;

export type Config = ServerEnv & {
  /** Null in the embedded set-up (no REDIS_URL / REDIS_CLUSTER_NODES). */
  redis: RedisSettings | null;
  /** Null when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: the rules understand alone. */
  llm: LlmSettings | null;
  /** Undefined when WECHAT_TOKEN is unset: the channel is off. */
  wechat: WeChatConfig | undefined;
};

/** Runs every section's loader and reports all their problems together. */
function collect<T>(problems: string[], load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/** Parses the environment; the error lists every bad variable by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const server = collect(problems, () => parseEnv(ServerEnv, env));
  const redis = collect(problems, () => loadRedisSettings(env));
  const llm = collect(problems, () => loadLlmSettings(env));
  const wechat = collect(problems, () => loadWeChatConfig(env));
  if (redis && server && !server.TRANSCRIPT_HMAC_KEY) {
    problems.push('TRANSCRIPT_HMAC_KEY: must be set (≥ 32 random characters, the same on every instance) when transcripts are kept in Redis');
  }
  if (problems.length > 0 || !server || redis === undefined || llm === undefined) throw new ConfigError(problems);
  return { ...server, redis, llm, wechat };
}
