/**
 * Understanding through a language model, with the rule engine as guard and fallback. The model
 * reads free text the rules miss; it never decides anything. Per cardholder turn there is at
 * most one model call, none when the rules are already sure of a short answer, and none while
 * the cardholder is answering a verification question. Whatever goes wrong with the model (slow,
 * down, rate limited, refusing, answering garbage), the turn still gets the rules' result.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
} from 'cockatiel';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, RateLimitError } from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { pino, type Logger } from 'pino';
import { Counter, register as globalRegistry, type Registry } from 'prom-client';
import { z } from 'zod';
import { PROMPT_VERSION, UnderstandingOutput, renderUnderstandingMessages } from '../../../prompts/index.js';
import { redact } from '../../privacy/redact.js';
import { UnderstandingResult, isVerificationQuestion, type Understanding, type UnderstandingContext } from '../../../conversation/understanding.js';
import { LlmSettings, loadLlmSettings } from './config.js';
import { NumericEntity, guard } from './guard.js';

export const FallbackReason = z.enum([
  'timeout',
  'connection',
  'rate_limit',
  'http_error',
  'refusal',
  'malformed',
  'truncated',
  'content_filter',
  'circuit_open',
  'error',
]);
export type FallbackReason = z.infer<typeof FallbackReason>;

export const TokenUsage = z.object({ prompt: z.number().int().min(0), completion: z.number().int().min(0) });
export type TokenUsage = z.infer<typeof TokenUsage>;

/** How one turn was understood, for measurement and logs; `result` is what dialogs get. */
export const UnderstandingTrace = z.object({
  result: UnderstandingResult,
  rules: UnderstandingResult,
  /** `llm`: the model's answer, guarded; otherwise the rules' result, and why. */
  path: z.enum(['llm', 'fast_path', 'sensitive_slot', 'fallback']),
  fallbackReason: FallbackReason.nullable(),
  /** Tokens of the model call, when one was answered (a refusal costs tokens too). */
  usage: TokenUsage.nullable(),
  /** Numbers the model claimed that the cardholder never wrote. */
  dropped: z.array(NumericEntity),
});
export type UnderstandingTrace = z.infer<typeof UnderstandingTrace>;

/**
 * "好的", "yes", "分12期", "make it 18": answers this short hold nothing the rules could have
 * missed. Length is counted in Han characters plus other words, so both scripts get the same
 * few words' allowance.
 */
const FAST_PATH_MAX_WORDS = 6;
const WORD = /\p{Script=Han}|[^\s\p{P}\p{S}\p{Script=Han}]+/gu;
const isShort = (text: string) => (text.match(WORD)?.length ?? 0) <= FAST_PATH_MAX_WORDS;

/** How many earlier turns the model sees; enough to resolve "the second option" or "make it 18". */
const RECENT_TURNS = 6;

class ModelRefusal extends Error {}
class MalformedOutput extends Error {}

export function fallbackReasonOf(error: unknown): FallbackReason {
  if (error instanceof BrokenCircuitError) return 'circuit_open';
  if (error instanceof TaskCancelledError || error instanceof APIConnectionTimeoutError || error instanceof APIUserAbortError) return 'timeout';
  if (error instanceof RateLimitError) return 'rate_limit';
  if (error instanceof APIConnectionError) return 'connection';
  if (error instanceof APIError) return 'http_error';
  if (error instanceof ModelRefusal) return 'refusal';
  if (error instanceof LengthFinishReasonError) return 'truncated';
  if (error instanceof ContentFilterFinishReasonError) return 'content_filter';
  if (error instanceof MalformedOutput || error instanceof SyntaxError || error instanceof z.ZodError) return 'malformed';
  return 'error';
}

/** Metrics are looked up before being created so several engines can share one registry. */
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export interface LlmUnderstandingOptions {
  settings: LlmSettings;
  /** The rule engine: read first on every turn, the guard's reference and the fallback. */
  rules: Understanding;
  /** Values to mask in every conversation, on top of the patterns and the context's secrets. */
  extraSecrets?: readonly string[];
  registry?: Registry;
  logger?: Logger;
}

export class LlmUnderstanding implements Understanding {
  readonly name = 'llm' as const;
  readonly promptVersion = PROMPT_VERSION;
  private readonly settings: LlmSettings;
  private readonly rules: Understanding;
  private readonly extraSecrets: readonly string[];
  private readonly client: OpenAI;
  private readonly logger: Logger;
  private readonly breaker;
  private readonly policy;
  private readonly metrics;
  private readonly responseFormat = zodResponseFormat(UnderstandingOutput, 'understanding');

  constructor(options: LlmUnderstandingOptions) {
    this.settings = LlmSettings.parse(options.settings);
    this.rules = options.rules;
    this.extraSecrets = options.extraSecrets ?? [];
    // Logs go to stderr so the CLI's JSON on stdout stays clean.
    this.logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'forbear' } }, pino.destination(2));
    this.client = new OpenAI({
      // Local servers (Ollama, vLLM) need no key, but the SDK insists on one.
      apiKey: this.settings.apiKey ?? 'not-needed',
      baseURL: this.settings.baseURL,
      timeout: this.settings.timeoutMs,
      maxRetries: this.settings.maxRetries,
    });
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: this.settings.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerFailures),
    });
    // The budget covers the SDK's retries too, so the turn answers in time whatever the endpoint does.
    this.policy = wrap(this.breaker, timeout(this.settings.timeoutMs, TimeoutStrategy.Aggressive));
    this.breaker.onBreak(() => this.logger.warn({ engine: 'llm', model: this.settings.model }, 'llm circuit opened'));
    this.breaker.onReset(() => this.logger.info({ engine: 'llm', model: this.settings.model }, 'llm circuit closed'));
    const registry = options.registry ?? globalRegistry;
    this.metrics = {
      fallback: counter(registry, 'forbear_understanding_fallback_total', 'LLM understanding turns answered by the rules instead, by reason.', ['reason']),
      tokens: counter(registry, 'forbear_llm_tokens_total', 'Tokens used by LLM understanding calls.', ['kind']),
      skipped: counter(registry, 'forbear_llm_skipped_total', 'Turns understood without calling the model, by reason.', ['reason']),
      dropped: counter(registry, 'forbear_llm_dropped_entities_total', 'Numbers the model claimed that the cardholder never wrote.', ['entity']),
    };
  }

  get circuitState(): 'closed' | 'open' | 'half_open' | 'isolated' {
    const names = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half_open', [CircuitState.Isolated]: 'isolated' } as const;
    return names[this.breaker.state];
  }

  async understand(text: string, context: UnderstandingContext): Promise<UnderstandingResult> {
    return (await this.understandTraced(text, context)).result;
  }

  async understandTraced(text: string, context: UnderstandingContext): Promise<UnderstandingTrace> {
    const rules = await this.rules.understand(text, context);
    const viaRules = (path: 'fast_path' | 'sensitive_slot' | 'fallback', fallbackReason: FallbackReason | null, usage: TokenUsage | null = null) =>
      ({ result: rules, rules, path, fallbackReason, usage, dropped: [] }) satisfies UnderstandingTrace;

    // Verification answers are secrets by definition; no redaction pattern is trusted with them.
    if (isVerificationQuestion(context.expecting)) {
      this.metrics.skipped.inc({ reason: 'sensitive_slot' });
      return viaRules('sensitive_slot', null);
    }
    if (rules.confidence >= this.settings.fastPathConfidence && isShort(text)) {
      this.metrics.skipped.inc({ reason: 'fast_path' });
      return viaRules('fast_path', null);
    }

    const secrets = [...this.extraSecrets, ...(context.secrets ?? [])];
    const mask = (s: string) => redact(s, { extraSecrets: secrets }).text;
    const message = mask(text);
    const messages = renderUnderstandingMessages({
      today: context.today,
      expecting: context.expecting,
      recentTurns: context.recentTurns.slice(-RECENT_TURNS).map((t) => ({ role: t.role, text: mask(t.text) })),
      message,
    });

    let usage: TokenUsage | null = null;
    try {
      const parsed = await this.policy.execute(async ({ signal }) => {
        const completion = await this.client.chat.completions.parse(
          { model: this.settings.model, messages, response_format: this.responseFormat, temperature: 0, max_tokens: this.settings.maxTokens },
          { signal },
        );
        if (completion.usage) {
          usage = { prompt: completion.usage.prompt_tokens, completion: completion.usage.completion_tokens };
          this.metrics.tokens.inc({ kind: 'prompt' }, usage.prompt);
          this.metrics.tokens.inc({ kind: 'completion' }, usage.completion);
        }
        const reply = completion.choices[0]?.message;
        if (reply?.refusal) throw new ModelRefusal(reply.refusal);
        if (!reply?.parsed) throw new MalformedOutput('no structured content in the reply');
        return reply.parsed;
      });
      const verdict = guard({ output: parsed, rules, message, expecting: context.expecting, promptVersion: this.promptVersion });
      if (!verdict.ok) throw verdict.error;
      for (const entity of verdict.dropped) this.metrics.dropped.inc({ entity });
      if (verdict.dropped.length > 0) this.logger.warn({ engine: 'llm', dropped: verdict.dropped }, 'llm claimed numbers not in the message');
      return { result: verdict.result, rules, path: 'llm', fallbackReason: null, usage, dropped: verdict.dropped };
    } catch (error) {
      const reason = fallbackReasonOf(error);
      this.metrics.fallback.inc({ reason });
      // The error's name only: messages can quote the model's output, which quotes the cardholder.
      this.logger.warn({ engine: 'llm', reason, error: error instanceof Error ? error.constructor.name : typeof error }, 'llm understanding fell back to rules');
      return viaRules('fallback', reason, usage);
    }
  }
}

/** The LLM engine over `rules` when the environment configures an endpoint; null leaves the rules alone. */
export function llmUnderstandingFromEnv(
  rules: Understanding,
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<LlmUnderstandingOptions, 'settings' | 'rules'> = {},
): LlmUnderstanding | null {
  const settings = loadLlmSettings(env);
  return settings === null ? null : new LlmUnderstanding({ ...options, settings, rules });
}

/**
 * Lets at most `limit` messages be understood at once. Batch runs (measurement, `--jsonl`) use it
 * so a real endpoint sees a steady trickle instead of a thousand requests in one burst, which
 * would only measure its rate limiter and the fallback.
 */
export function withConcurrencyLimit(understanding: Understanding, limit: number): Understanding {
  const gate = bulkhead(limit, Number.POSITIVE_INFINITY);
  return { name: understanding.name, understand: (text, context) => gate.execute(() => understanding.understand(text, context)) };
}

/** One line about what the LLM engines in this process did, read from the metrics (for batch runs). */
export async function llmRunSummary(registry: Registry = globalRegistry): Promise<string> {
  const byLabel = async (name: string, label: string) => {
    const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.map((v) => `${v.labels[label]}=${v.value}`).join(' ') || 'none';
  };
  return [
    `fallbacks: ${await byLabel('forbear_understanding_fallback_total', 'reason')}`,
    `skipped: ${await byLabel('forbear_llm_skipped_total', 'reason')}`,
    `tokens: ${await byLabel('forbear_llm_tokens_total', 'kind')}`,
    `dropped numbers: ${await byLabel('forbear_llm_dropped_entities_total', 'entity')}`,
  ].join('; ');
}
