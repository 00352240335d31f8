/**
 * The composition root: builds the bot and its ports from configuration. With nothing configured
 * everything is embedded (memory, rules, demo accounts); REDIS_URL, OPENAI_* and
 * ACCOUNT_SERVICE_URL swap in the real parts. The terminal chat, the simulator, the server and the
 * tests all build the bot here, so they run the same product.
 */
import { ConversationState, type StatePropertyAccessor, type TurnContext } from 'botbuilder-core';
import type { Registry } from 'prom-client';
import { loadPolicy } from '../policy/index.js';
import type { Policy } from '../policy/index.js';
import type { AccountService } from '../conversation/accounts.js';
import { DemoAccountService } from './accounts/demoAccountService.js';
import { HttpAccountService } from './accounts/httpAccountService.js';
import { TranscriptAuditor, TranscriptMiddleware } from './audit.js';
import { InboundPrivacy } from './privacy/inbound.js';
import { answerSeal } from './privacy/answerSeal.js';
import type { CaseFile } from '../conversation/case.js';
import { isVerificationQuestion } from '../conversation/understanding.js';
import { systemClock, type Clock } from '../conversation/clock.js';
import type { Config } from './config.js';
import { ForbearBot } from './forbearBot.js';
import { QueueDesk } from './handoff/desk.js';
import { createLogger, type Logger } from './logger.js';
import { VariantAccountService } from './experiments/accounts.js';
import { loadChallengers } from './experiments/config.js';
import { challengerRef, NO_EXPERIMENT, type Experiment } from './experiments/variant.js';
import { variantLabel } from '../conversation/variant.js';
import { createMetrics, type Metrics } from './metrics.js';
import { memoryStores, openStores, type Stores } from './storage/index.js';
import { JsonCheckedConversationState } from './storage/conversationState.js';
import { z } from 'zod';
import { TranscriptEntry } from './transcripts/schema.js';
import { MemoryTranscriptStore, type Sealing, type TranscriptStore } from './transcripts/store.js';
import { RedisTranscriptStore } from './transcripts/redisStore.js';
import { Chain } from './transcripts/chain.js';
import { FileCheckpointLog, MemoryCheckpointLog } from './transcripts/checkpoints.js';
import { ClassifierUnderstanding } from './understanding/hybrid.js';
import { RuleUnderstanding } from './understanding/rules.js';
import type { Understanding } from '../conversation/understanding.js';
import type { CaseServices } from '../dialogs/services.js';
import { readOncePerTurn } from '../dialogs/turn.js';
import { createLifecycle, type Lifecycle } from './lifecycle/index.js';
import { lifecyclePort } from './lifecycle/port.js';

export interface ForbearOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  registry?: Registry;
  /** Injected by tests that share one Redis or memory between several bot instances. */
  stores?: Stores;
  transcripts?: TranscriptStore;
  accounts?: AccountService;
  understanding?: Understanding;
  /** Champion/challenger assignment; otherwise read from CHALLENGERS_FILE (none when unset). */
  experiment?: Experiment;
}

export interface Forbear {
  bot: ForbearBot;
  stores: Stores;
  transcripts: TranscriptStore;
  desk: QueueDesk;
  accounts: AccountService;
  /** For turns the bot did not start (an agent's action): load and save the case like a turn does. */
  conversationState: ConversationState;
  caseState: StatePropertyAccessor<CaseFile>;
  /** The privacy boundary every stored or sent copy of a cardholder's message goes through. */
  inbound: InboundPrivacy;
  audit: TranscriptAuditor;
  transcriptMiddleware: TranscriptMiddleware;
  policy(id: string): Policy;
  experiment: Experiment;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  understanding: Understanding;
  /** After the agreement: ledgers, payments, the outbox, scheduled contact. */
  lifecycle: Lifecycle;
  close(): Promise<void>;
}

/**
 * Policies are loaded once, at start-up: a bad policy file stops the process, never a turn.
 * Challengers are known by `id@version`, so a challenger may be the champion's next version.
 */
function policyBook(): { (id: string): Policy; challengers: Map<string, Policy> } {
  const cache = new Map<string, Policy>();
  const challengers = new Map<string, Policy>();
  const book = (id: string) => {
    const challenger = challengers.get(id);
    if (challenger) return challenger;
    let policy = cache.get(id);
    if (!policy) {
      policy = loadPolicy(id);
      cache.set(id, policy);
    }
    return policy;
  };
  return Object.assign(book, { challengers });
}

/** The account a signed-in channel vouches for (e.g. the issuer's web session), if any. */
function claimedAccount(context: TurnContext): string | null {
  const data = context.activity.channelData as { accountRef?: unknown } | undefined;
  return typeof data?.accountRef === 'string' && data.accountRef.length > 0 ? data.accountRef : null;
}

/** Default home of the checkpoint files when transcripts are in Redis. */
export const DEFAULT_CHECKPOINT_DIR = 'data/checkpoints';

/**
 * The transcript chain's key and its anchor outside Redis. With Redis the key is required (every
 * instance must share it and it must outlive restarts); embedded, a random key is acceptable
 * because the in-memory transcripts die with the process — said loudly at start-up.
 */
export function transcriptSealing(config: Pick<Config, 'TRANSCRIPT_HMAC_KEY' | 'TRANSCRIPT_CHECKPOINT_DIR'>, shared: boolean, logger: Logger): Sealing {
  if (shared && !config.TRANSCRIPT_HMAC_KEY) {
    throw new Error('TRANSCRIPT_HMAC_KEY must be set when transcripts are kept in Redis');
  }
  if (!config.TRANSCRIPT_HMAC_KEY) {
    logger.warn('TRANSCRIPT_HMAC_KEY is not set: transcripts are sealed with a random development key that dies with this process');
  }
  const chain = config.TRANSCRIPT_HMAC_KEY ? new Chain(config.TRANSCRIPT_HMAC_KEY) : Chain.ephemeral();
  const dir = config.TRANSCRIPT_CHECKPOINT_DIR ?? (shared ? DEFAULT_CHECKPOINT_DIR : undefined);
  return { chain, checkpoints: dir ? new FileCheckpointLog(dir) : new MemoryCheckpointLog() };
}

export async function createForbear(options: ForbearOptions): Promise<Forbear> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = createMetrics(options.registry);
  const policy = policyBook();
  policy(config.DEFAULT_POLICY);
  const experiment = options.experiment ?? (config.CHALLENGERS_FILE ? loadChallengers(config.CHALLENGERS_FILE, policy) : NO_EXPERIMENT);
  for (const c of experiment.challengers) policy.challengers.set(challengerRef(c.policy), c.policy);

  const shared =
    options.stores ??
    (config.redis
      ? await openStores(config.redis, { onEvent: (event, detail) => logger.info({ event, detail }, 'redis connection') })
      : memoryStores());
  const transcripts =
    options.transcripts ??
    (shared.redis
      ? new RedisTranscriptStore(shared.redis.client, shared.redis.keys.prefix, transcriptSealing(config, true, logger))
      : new MemoryTranscriptStore(transcriptSealing(config, false, logger)));
  let desk: QueueDesk | undefined;
  const lifecycle = createLifecycle({
    config,
    stores: shared,
    transcripts,
    policy,
    clock,
    logger,
    openHandoffs: async () => ((await desk?.list()) ?? []).map((t) => t.conversationId),
    onInstalmentStatus: (status) => metrics.instalments.inc({ status }),
    onContactDecision: (channel, decision) => metrics.contacts.inc({ channel, decision }),
  });
  // Every arrangement concluded — by the bot or a person, whatever the code path — opens its ledger.
  const stores: Stores = { ...shared, arrangements: lifecycle.book.watch(shared.arrangements) };

  // Every record passes through the variant assignment, injected account services included.
  const accounts = new VariantAccountService(
    options.accounts ??
      (config.ACCOUNT_SERVICE_URL
        ? new HttpAccountService(config.ACCOUNT_SERVICE_URL, config.ACCOUNT_SERVICE_TIMEOUT_MS)
        : new DemoAccountService(clock, (id) => policy(id).timezone)),
    experiment,
    policy,
    (v) => metrics.variantAssignments.inc({ variant: variantLabel(v), bucket: v.bucket }),
  );

  const rules = new RuleUnderstanding();
  const embedded = new ClassifierUnderstanding();
  // The LLM client (openai) and its prompt (YAML examples, parsed and validated) are loaded only when an LLM is configured.
  const understanding =
    options.understanding ??
    (config.llm
      ? new (await import('./understanding/llm/llm.js')).LlmUnderstanding({ settings: config.llm, rules: embedded, registry: metrics.registry, logger })
      : embedded);

  const conversationState = new JsonCheckedConversationState(stores.storage);
  const caseState = readOncePerTurn(conversationState.createProperty<CaseFile>('case'));
  const inbound = new InboundPrivacy(async (context) => {
    const file = await caseState.get(context);
    return { awaitingVerification: file ? isVerificationQuestion(file.expecting) : false, verified: file?.verification.verified ?? false };
  });
  const audit = new TranscriptAuditor(transcripts, clock, inbound);
  desk = new QueueDesk({
    stores,
    clock,
    transcripts,
    accounts,
    policy,
    defaultPolicyId: config.DEFAULT_POLICY,
    settings: {
      hours: config.HANDOFF_HOURS ?? null,
      minutesPerCase: config.HANDOFF_MINUTES_PER_CASE,
      queueTimeoutMin: config.HANDOFF_QUEUE_TIMEOUT_MIN,
    },
    logger,
  });
  const services: CaseServices = {
    caseState,
    accounts,
    // The same never-in-Redis secret as the transcript chain (a separate key derived from it).
    answers: answerSeal(config.TRANSCRIPT_HMAC_KEY),
    policy,
    arrangements: stores.arrangements,
    desk,
    audit,
    clock,
    claimedAccount,
    settings: { defaultPolicyId: config.DEFAULT_POLICY, maxVerificationAttempts: config.VERIFICATION_MAX_ATTEMPTS },
    lifecycle: lifecyclePort(lifecycle),
  };
  const bot = new ForbearBot({
    conversationState,
    caseState,
    services,
    understanding,
    rules,
    audit,
    desk,
    metrics,
    logger,
    inbound,
    unstarted: { storage: stores.storage, ttlSec: config.UNSTARTED_CONVERSATION_TTL_SEC },
  });
  // Written and removed with the turn's commit: the greeting held with its replies, removed with the first message's.
  const prelude = stores.keyValue({ namespace: 'transcript-prelude', schema: z.array(TranscriptEntry), scope: 'conversation', withTurn: true });
  const transcriptMiddleware = new TranscriptMiddleware(transcripts, clock, inbound, {
    prelude,
    ttlSec: config.UNSTARTED_CONVERSATION_TTL_SEC,
  });

  logger.info(
    {
      store: stores.backend,
      understanding: understanding.name,
      accounts: config.ACCOUNT_SERVICE_URL ? 'http' : 'demo',
      policy: config.DEFAULT_POLICY,
      challengers: experiment.challengers.map((c) => `${challengerRef(c.policy)} → ${c.champion} ${JSON.stringify(c.sharesBps)} bps`),
    },
    'forbear assembled',
  );
  return {
    bot,
    stores,
    transcripts,
    desk,
    accounts,
    conversationState,
    caseState,
    inbound,
    audit,
    transcriptMiddleware,
    policy,
    experiment,
    metrics,
    logger,
    clock,
    understanding,
    lifecycle,
    close: async () => {
      // What ended turns left running (a new ledger's publishing) still needs the queues and the stores.
      await stores.lock.settled();
      await lifecycle.close();
      await transcripts.sealing.checkpoints.close();
      await stores.close();
    },
  };
}
