/**
 * After the agreement, assembled: the ledger book, the outbox and the contact scheduler on one job
 * queue technology — BullMQ when the stores are in Redis, the in-process twin otherwise. Built by
 * the composition root; workers start only in the server (`start`), so the terminal chat and the
 * simulator build the same product without running deliveries.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import type { Policy } from '../../policy/index.js';
import type { Clock } from '../../conversation/clock.js';
import type { Logger } from '../logger.js';
import type { Stores } from '../storage/index.js';
import { ioredis } from '../storage/redis.js';
import type { TranscriptStore } from '../transcripts/store.js';
import { BullJobQueue, MemoryJobQueue, type JobQueue, type JobQueueOptions } from './jobs.js';
import { LedgerBook } from './ledgerBook.js';
import { Outbox, type OutboxEvent } from './outbox.js';
import { ContactScheduler, type ContactChannel, type ContactFacts, type ContactJob } from './scheduler.js';
import { WebChatInbox, WeChatContact, type WeChatSender } from './channels.js';
import type { LifecycleConfig } from './config.js';
import { documentPath, documentToken } from './document.js';

export interface LifecycleDeps {
  config: LifecycleConfig;
  stores: Stores;
  transcripts: TranscriptStore;
  policy(id: string): Policy;
  clock: Clock;
  logger: Logger;
  /** Conversations a person has now (handoff waiting or claimed). */
  openHandoffs(): Promise<string[]>;
  onInstalmentStatus?(status: string): void;
  onContactDecision?(channel: string, decision: string): void;
}

export interface Lifecycle {
  book: LedgerBook;
  outbox: Outbox;
  scheduler: ContactScheduler;
  inbox: WebChatInbox;
  queues: { outbox: JobQueue<OutboxEvent>; contact: JobQueue<ContactJob> };
  /** Signs the cardholders' agreement links. */
  documentSecret: string;
  /** The cardholder's link to their printable agreement. */
  documentLink(reference: string): string;
  /** Starts deliveries, scheduled contact and the periodic ledger assessment (the server calls this). */
  start(channels: { wechat?: { sender: WeChatSender; openIdOf(conversationId: string): string } }): void;
  close(): Promise<void>;
}

const DAY_SEC = 86_400;
/**
 * A contact's id is planned again only while its day lasts (plans start from today), or by the
 * contact before it, which runs earlier: two weeks covers a contact held back by the gate for days.
 */
const CONTACT_RETRY: JobQueueOptions = { attempts: 20, backoffMs: 60_000, recognisedSec: 14 * DAY_SEC };
/** An event enqueued again (a retried request, a replayed ledger change) is still one delivery for 90 days. */
const OUTBOX_RECOGNISED_SEC = 90 * DAY_SEC;

/** BullMQ needs its own connections (a blocking one per worker, no per-request retry limit). */
function bullConnection(stores: Stores): { connection: ConnectionOptions; close(): void; prefix: string } {
  const redis = stores.redis!;
  const retryStrategy = (times: number) => Math.min(times * 200, 5000);
  const nodes = redis.settings.clusterNodes?.map((n) => {
    const url = new URL(n.includes('://') ? n : `redis://${n}`);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const { Cluster, Redis } = ioredis();
  const connection = nodes
    ? new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null }, clusterRetryStrategy: retryStrategy })
    : new Redis(redis.settings.url!, { maxRetriesPerRequest: null, retryStrategy });
  connection.on('error', () => {});
  // One hash tag for all job keys, so Cluster keeps each queue in one slot; the prefix keeps deployments apart.
  return { connection, prefix: `${redis.keys.prefix}{jobs}`, close: () => connection.disconnect() };
}

export function createLifecycle(deps: LifecycleDeps): Lifecycle {
  const { config, stores, clock, logger } = deps;
  const outboxRetry: JobQueueOptions = { attempts: config.OUTBOX_ATTEMPTS, backoffMs: config.OUTBOX_BACKOFF_MS, recognisedSec: OUTBOX_RECOGNISED_SEC };
  const bull = stores.redis ? bullConnection(stores) : null;
  const queue = <T>(name: string, options: JobQueueOptions): JobQueue<T> =>
    bull ? new BullJobQueue<T>(name, bull.connection, bull.prefix, options, logger) : new MemoryJobQueue<T>(clock, options, 1000, logger);
  const queues = { outbox: queue<OutboxEvent>('outbox', outboxRetry), contact: queue<ContactJob>('contact', CONTACT_RETRY) };

  const outbox = new Outbox(queues.outbox, clock, logger);
  const book = new LedgerBook({
    stores,
    arrangements: stores.arrangements,
    transcripts: deps.transcripts,
    outbox,
    policy: deps.policy,
    clock,
    ...(deps.onInstalmentStatus ? { onInstalmentStatus: deps.onInstalmentStatus } : {}),
    onPublishFailed: (reference, err) => logger.warn({ err, reference }, 'publishing a new ledger failed; it is published again at start or at the next assessment'),
  });
  const inbox = new WebChatInbox(stores, clock);
  let wechat: ContactChannel | undefined;

  const facts = async (accountId: string): Promise<ContactFacts> => {
    const conversations = await deps.transcripts.listConversations({ accountId });
    const ids = new Set(conversations.map((c) => c.conversationId));
    let stopContact = false;
    let disputeOpen = false;
    for (const id of ids) {
      for (const r of await deps.transcripts.read(id)) {
        if (r.kind !== 'decision') continue;
        if (r.payload.type === 'stop_contact') stopContact = true;
        if (r.payload.type === 'handoff' && (r.payload.reason === 'dispute' || r.payload.reason === 'fraud_claim')) disputeOpen = true;
      }
    }
    const handedOff = (await deps.openHandoffs()).some((id) => ids.has(id));
    return { stopContact, disputeOpen, handedOff };
  };

  const scheduler = new ContactScheduler({
    queue: queues.contact,
    book,
    stores,
    transcripts: deps.transcripts,
    policy: deps.policy,
    clock,
    logger,
    channelFor: (channel) => (channel === 'wechat' && wechat ? wechat : inbox),
    facts,
    ...(deps.onContactDecision ? { onDecision: deps.onContactDecision } : {}),
  });
  book.listen({ changed: (record, events) => scheduler.planFor(record, events) });

  let assessTimer: NodeJS.Timeout | undefined;
  const documentSecret = config.DOCUMENT_LINK_SECRET ?? randomBytes(32).toString('hex');
  return {
    book,
    outbox,
    scheduler,
    inbox,
    queues,
    documentSecret,
    documentLink: (reference) => `${config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? ''}${documentPath(reference)}?token=${documentToken(documentSecret, reference)}`,
    start(channels) {
      if (channels.wechat) {
        const { sender, openIdOf } = channels.wechat;
        wechat = new WeChatContact(sender, openIdOf, deps.transcripts, clock, config.WECHAT_REMINDER_TEMPLATE_ID);
      }
      outbox.start({ webhookUrl: config.OUTBOX_WEBHOOK_URL, webhookSecret: config.OUTBOX_WEBHOOK_SECRET, logFile: config.OUTBOX_LOG, timeoutMs: config.OUTBOX_TIMEOUT_MS });
      scheduler.start();
      // Ledgers whose opening a process that stopped (this one, before a restart, or another) left unpublished.
      book.publishPending().catch((err: unknown) => logger.warn({ err }, 'publishing pending ledgers failed; it runs again at the next assessment'));
      if (config.LEDGER_ASSESS_INTERVAL_MIN > 0) {
        assessTimer = setInterval(() => {
          book
            .publishPending()
            .then(() => book.assessAll())
            .catch((err: unknown) => logger.warn({ err }, 'ledger assessment failed; it runs again at the next interval'));
        }, config.LEDGER_ASSESS_INTERVAL_MIN * 60_000);
        assessTimer.unref();
      }
    },
    async close() {
      clearInterval(assessTimer);
      await Promise.all([queues.outbox.close(), queues.contact.close()]);
      bull?.close();
    },
  };
}
