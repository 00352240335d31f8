/**
 * Arrangement events to the issuer's system of record: `arrangement.created`, `.changed`,
 * `.cancelled`, `.completed`. Each event is a job in the queue under its idempotency key, so it is
 * delivered at least once (retried with exponential backoff, surviving restarts on Redis) and
 * enqueueing it again is harmless; the receiver de-duplicates by the `Idempotency-Key` header.
 * With no webhook configured the events go to a local JSON-lines log and the console instead.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../conversation/clock.js';
import type { Logger } from '../logger.js';
import type { JobHandler, JobQueue } from './jobs.js';
import { signedHeaders } from './signature.js';

export const OutboxEventType = z.enum(['arrangement.created', 'arrangement.changed', 'arrangement.cancelled', 'arrangement.completed']);
export type OutboxEventType = z.infer<typeof OutboxEventType>;

export const OutboxEvent = z.object({
  /** The idempotency key: the same event always has the same id. */
  id: z.string().min(1),
  type: OutboxEventType,
  occurredAt: z.iso.datetime({ offset: true }),
  reference: z.string().min(1),
  accountId: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
export type OutboxEvent = z.infer<typeof OutboxEvent>;

export interface OutboxSettings {
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  logFile: string;
  timeoutMs: number;
}

export class Outbox {
  constructor(
    private readonly queue: JobQueue<OutboxEvent>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Idempotent by event id. */
  enqueue(event: OutboxEvent): Promise<void> {
    return this.queue.add(`outbox:${event.id}`, event, this.clock.now());
  }

  failed() {
    return this.queue.failed();
  }

  start(settings: OutboxSettings): void {
    this.queue.start(deliverer(settings, this.clock, this.logger));
  }
}

export function deliverer(settings: OutboxSettings, clock: Clock, logger: Logger): JobHandler<OutboxEvent> {
  const { webhookUrl, webhookSecret } = settings;
  if (!webhookUrl) {
    return async ({ data: event }) => {
      await mkdir(path.dirname(settings.logFile), { recursive: true });
      await appendFile(settings.logFile, `${JSON.stringify(event)}\n`);
      logger.info({ outbox: event }, `outbox: ${event.type} ${event.reference} (no OUTBOX_WEBHOOK_URL: logged to ${settings.logFile})`);
      return 'done';
    };
  }
  return async ({ data: event, attempt }) => {
    const body = JSON.stringify(event);
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': event.id,
        ...(webhookSecret ? signedHeaders(webhookSecret, body, clock.now()) : {}),
      },
      body,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (!response.ok) {
      logger.warn({ event: event.id, status: response.status, attempt }, 'outbox: delivery refused; retrying with backoff');
      throw new Error(`webhook answered ${response.status}`);
    }
    return 'done';
  };
}
