/**
 * Runs a population of personas against one real Forbear (the production composition root: same
 * dialogs, policy and understanding; in-memory stores; a fixed clock) through the in-process
 * channel, with the channels' middleware: per-conversation lock and transcript.
 */
import type { Middleware } from 'botbuilder';
import { createForbear, type Forbear } from '../bot/app.js';
import { assignVariant, type Experiment } from '../bot/experiments/variant.js';
import type { ConversationFacts } from '../bot/operations/report.js';
import { collectFacts } from '../bot/operations/source.js';
import { DemoAccountService } from '../bot/accounts/demoAccountService.js';
import { LocalAdapter } from '../bot/channels/local.js';
import { fixedClock, todayIn } from '../conversation/clock.js';
import { loadConfig } from '../bot/config.js';
import { createLogger } from '../bot/logger.js';
import { converse, type Conversation } from './conversation.js';
import { generatePersonas, type LanguageChoice, type Persona } from './personas.js';
import { buildReport, type LlmUsage, type Report } from './report.js';

/** Every run happens on the same day, so offers, schedules and reports are reproducible. */
export const SIMULATION_CLOCK = '2026-03-02T02:00:00Z';

export interface SimulationOptions {
  personas: number;
  seed: number;
  lang: LanguageChoice;
  /** Conversations in flight at once (the bot is async: stores, transcript, LLM calls). */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** Run only the persona with this index (to replay one conversation). */
  only?: number;
  onProgress?: (done: number, total: number) => void;
  /** Champion/challenger assignment for this run (none: every persona on its champion). */
  experiment?: Experiment;
}

export interface Simulation {
  report: Report;
  conversations: Conversation[];
  /** The conversations as the outcome report (`/ops`, `npm run report`) sees them, from their transcripts. */
  outcomes: ConversationFacts[];
  elapsedMs: number;
}

const serialised = (forbear: Forbear): Middleware => ({
  onTurn: (context, next) => forbear.stores.lock.withLock(context.activity.conversation.id, next),
});

/** Only the understanding settings pass through: the simulator always runs on memory and its own accounts. */
function simulationEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = Object.entries(env).filter(([k]) => k.startsWith('OPENAI_') || k.startsWith('LLM_'));
  return { LOG_LEVEL: 'silent', ...Object.fromEntries(keep) };
}

async function llmUsage(forbear: Forbear): Promise<LlmUsage | null> {
  if (forbear.understanding.name !== 'llm') return null;
  const values = async (name: string) => (await forbear.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const sum = (vs: { value: number; labels: Record<string, unknown> }[], match: (l: Record<string, unknown>) => boolean) =>
    vs.filter((v) => match(v.labels)).reduce((s, v) => s + v.value, 0);
  const understood = await values('forbear_understanding_total');
  const tokens = await values('forbear_llm_tokens_total');
  return {
    calls: sum(understood, (l) => l.engine === 'llm'),
    promptTokens: sum(tokens, (l) => l.kind === 'prompt'),
    completionTokens: sum(tokens, (l) => l.kind === 'completion'),
  };
}

export async function simulate(options: SimulationOptions): Promise<Simulation> {
  const started = performance.now();
  const population = generatePersonas({ count: options.personas, seed: options.seed, lang: options.lang });
  const personas = options.only === undefined ? population : population.slice(options.only, options.only + 1);
  const env = simulationEnv(options.env ?? process.env);
  const clock = fixedClock(SIMULATION_CLOCK);
  const forbear = await createForbear({
    config: loadConfig(env),
    clock,
    logger: createLogger('silent'),
    accounts: new DemoAccountService(clock, (id) => forbear.policy(id).timezone, personas.map((p) => p.account)),
    ...(options.experiment ? { experiment: options.experiment } : {}),
  });
  const channel = new LocalAdapter(forbear.bot, 'simulator');
  channel.use(serialised(forbear));
  channel.use(forbear.transcriptMiddleware);

  const conversations: Conversation[] = new Array(personas.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < personas.length) {
      const i = next++;
      conversations[i] = await converse(personas[i]!, channel);
      options.onProgress?.(++done, personas.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
    const asOf = (p: Persona) => todayIn(clock, forbear.policy(p.account.policyId).timezone);
    const report = buildReport({
      options: { personas: personas.length, seed: options.seed, lang: options.lang },
      understanding: forbear.understanding.name,
      clock: SIMULATION_CLOCK,
      conversations,
      // Every agreement is checked against the policy of the variant the persona drew.
      policyOf: (p) => forbear.policy(assignVariant(forbear.experiment, forbear.policy(p.account.policyId), p.account.accountId, p.account.daysPastDue).policyRef),
      asOf,
      llm: await llmUsage(forbear),
    });
    const { rows: outcomes } = await collectFacts(forbear.transcripts, {});
    return { report, conversations, outcomes, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    await forbear.close();
  }
}
