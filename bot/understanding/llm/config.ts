/**
 * Settings for the LLM understanding engine, from the environment. The engine is enabled as soon as
 * a key or a base URL is set (a local Ollama or vLLM needs no key); otherwise the rules stay alone.
 * Defaults keep one turn inside WeChat's 5 s passive-reply window: the whole model call, retries
 * included, is cut at `OPENAI_TIMEOUT_MS`.
 */
import { z } from 'zod';
import { numberFromEnv, optionalString, parseEnv } from '../../http/env.js';

export const LlmEnv = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  OPENAI_MODEL: optionalString.transform((v) => v ?? 'gpt-4o-mini'),
  /** Budget for the whole call, retries included. */
  OPENAI_TIMEOUT_MS: numberFromEnv(4000, z.number().int().min(100).max(60_000)),
  /** SDK retries on 408/409/429/5xx and connection errors, all inside the timeout budget. */
  OPENAI_MAX_RETRIES: numberFromEnv(1, z.number().int().min(0).max(5)),
  /** Output cap; a longer answer is a failure (fallback), not a bigger bill. */
  OPENAI_MAX_TOKENS: numberFromEnv(400, z.number().int().min(50).max(4000)),
  /** Consecutive failed calls that open the circuit. */
  LLM_BREAKER_FAILURES: numberFromEnv(5, z.number().int().min(1).max(1000)),
  /** How long an open circuit waits before letting one trial call through (half-open). */
  LLM_BREAKER_HALF_OPEN_MS: numberFromEnv(30_000, z.number().int().min(10).max(3_600_000)),
  /** Rule confidence at or above which a short message skips the model. */
  LLM_FAST_PATH_CONFIDENCE: numberFromEnv(0.9, z.number().min(0).max(1)),
});
export type LlmEnv = z.infer<typeof LlmEnv>;

export const LlmSettings = z.object({
  apiKey: z.string().optional(),
  baseURL: z.url().optional(),
  model: z.string().min(1),
  timeoutMs: z.number().int().positive(),
  maxRetries: z.number().int().min(0),
  maxTokens: z.number().int().positive(),
  breakerFailures: z.number().int().positive(),
  breakerHalfOpenMs: z.number().int().positive(),
  fastPathConfidence: z.number().min(0).max(1),
});
export type LlmSettings = z.infer<typeof LlmSettings>;

/** The engine's settings, or null when neither a key nor a base URL is configured. */
export function loadLlmSettings(env: NodeJS.ProcessEnv = process.env): LlmSettings | null {
  const e = parseEnv(LlmEnv, env);
  if (e.OPENAI_API_KEY === undefined && e.OPENAI_BASE_URL === undefined) return null;
  return {
    apiKey: e.OPENAI_API_KEY,
    baseURL: e.OPENAI_BASE_URL,
    model: e.OPENAI_MODEL,
    timeoutMs: e.OPENAI_TIMEOUT_MS,
    maxRetries: e.OPENAI_MAX_RETRIES,
    maxTokens: e.OPENAI_MAX_TOKENS,
    breakerFailures: e.LLM_BREAKER_FAILURES,
    breakerHalfOpenMs: e.LLM_BREAKER_HALF_OPEN_MS,
    fastPathConfidence: e.LLM_FAST_PATH_CONFIDENCE,
  };
}
