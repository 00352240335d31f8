/**
 * Start-up configuration from the environment. A bad value stops the process with a message that
 * names the variable, before anything listens; unset values fall back to the embedded defaults.
 */
import { z } from 'zod';
import { DirectLineConfig } from './channels/directline/config.js';
import { HttpConfig } from './http/config.js';
import { intFromEnv, optionalString } from './http/env.js';

export const Config = z
  .object({
  PORT: intFromEnv(3978, 0, 65_535),
  /** Loopback unless the Bot Framework auth is on or an operator opts in explicitly. */
  HOST: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEFAULT_POLICY: z.string().default('default-cn'),
  VERIFICATION_MAX_ATTEMPTS: intFromEnv(3, 1, 10),
  ACCOUNT_SERVICE_URL: optionalString.pipe(z.url().optional()),
  ACCOUNT_SERVICE_TIMEOUT_MS: intFromEnv(3000, 100, 60_000),
  REDIS_URL: optionalString.pipe(z.url().optional()),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  MicrosoftAppId: optionalString,
  MicrosoftAppPassword: optionalString,
  MicrosoftAppType: optionalString,
  MicrosoftAppTenantId: optionalString,
})
  .extend(HttpConfig.shape)
  .extend(DirectLineConfig.shape);
export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {}

/** Parses the environment; the error lists every bad variable by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Config.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
