/**
 * The job queue behind the outbox and scheduled contact. On Redis it is BullMQ (delayed jobs,
 * retries with exponential backoff, de-duplication by job id, surviving restarts and shared by
 * every instance); embedded, an in-process twin with the same contract driven by the injectable
 * clock, so tests can cross due dates and quiet hours without waiting.
 *
 * A handler returns `done`, or `{ retryAt }` to run the same job again later (the contact gate said
 * "not now"); throwing counts as a failed attempt and is retried with backoff. A job id added twice
 * is one job: that is what makes planning reminders again, or enqueueing an event again, harmless.
 */
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';
import type { ConnectionOptions, Job as BullJob, Queue, Worker } from 'bullmq';
import type { Clock } from '../../conversation/clock.js';
import type { Logger } from '../logger.js';

export type JobOutcome = 'done' | { retryAt: Date };

export interface JobContext<T> {
  id: string;
  data: T;
  /** 1 on the first run; counts failed attempts, not reschedules. */
  attempt: number;
}

export type JobHandler<T> = (job: JobContext<T>) => Promise<JobOutcome>;

export interface JobQueueOptions {
  /** Failed attempts before a job is given up (kept as failed, for people to look at). */
  attempts: number;
  /** First retry delay; doubles each attempt. */
  backoffMs: number;
  /**
   * How long after its due time a job's id is still recognised, so that adding it again does
   * nothing. On Redis a completed job leaves only that (a small key that expires), not its record.
   */
  recognisedSec: number;
}

export interface JobQueue<T> {
  /** Adds the job unless one with this id is pending or running, or was done within `recognisedSec` of its due time. */
  add(id: string, data: T, runAt: Date): Promise<void>;
  /** Starts running due jobs with `handler`. */
  start(handler: JobHandler<T>): void;
  /** Jobs given up after `attempts` failures. */
  failed(): Promise<{ id: string; data: T; error: string }[]>;
  close(): Promise<void>;
}

interface MemoryJob<T> {
  id: string;
  data: T;
  runAt: number;
  /** Insertion order: jobs due at the same moment run in the order they were added. */
  seq: number;
  attempt: number;
  state: 'pending' | 'running' | 'done' | 'failed';
  error?: string;
}

/**
 * In-process queue: a timer looks for due jobs every `pollMs` of real time, and `runDue()` lets a
 * test run them at once after moving its clock.
 */
export class MemoryJobQueue<T> implements JobQueue<T> {
  private readonly jobs = new Map<string, MemoryJob<T>>();
  private handler: JobHandler<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private added = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: JobQueueOptions,
    private readonly pollMs = 1000,
    private readonly logger?: Logger,
  ) {}

  async add(id: string, data: T, runAt: Date): Promise<void> {
    const known = this.jobs.get(id);
    if (known && !(known.state === 'done' && this.clock.now().getTime() > known.runAt + this.options.recognisedSec * 1000)) return;
    this.jobs.set(id, { id, data: structuredClone(data), runAt: runAt.getTime(), seq: this.added++, attempt: 0, state: 'pending' });
  }

  start(handler: JobHandler<T>): void {
    this.handler = handler;
    this.timer ??= setInterval(() => void this.runDue(), this.pollMs);
    this.timer.unref();
  }

  /** Runs every job due by the clock, one at a time, oldest first; resolves when they are done. */
  runDue(): Promise<void> {
    this.running = this.running.then(() => this.drain());
    return this.running;
  }

  private async drain(): Promise<void> {
    const handler = this.handler;
    if (!handler) return;
    for (;;) {
      const now = this.clock.now().getTime();
      const due = [...this.jobs.values()].filter((j) => j.state === 'pending' && j.runAt <= now).sort((a, b) => a.runAt - b.runAt || a.seq - b.seq);
      if (due.length === 0) return;
      for (const job of due) await this.runOne(job, handler);
    }
  }

  private async runOne(job: MemoryJob<T>, handler: JobHandler<T>): Promise<void> {
    job.state = 'running';
    try {
      const outcome = await handler({ id: job.id, data: structuredClone(job.data), attempt: job.attempt + 1 });
      if (outcome === 'done') job.state = 'done';
      else Object.assign(job, { state: 'pending', runAt: outcome.retryAt.getTime() });
    } catch (error) {
      job.attempt += 1;
      job.error = error instanceof Error ? error.message : String(error);
      if (job.attempt >= this.options.attempts) {
        job.state = 'failed';
        this.logger?.warn({ job: job.id, err: error }, 'job given up');
      } else {
        Object.assign(job, { state: 'pending', runAt: this.clock.now().getTime() + this.options.backoffMs * 2 ** (job.attempt - 1) });
      }
    }
  }

  /** Pending jobs, for tests and the console. */
  pending(): { id: string; data: T; runAt: Date }[] {
    return [...this.jobs.values()].filter((j) => j.state === 'pending').map((j) => ({ id: j.id, data: j.data, runAt: new Date(j.runAt) }));
  }

  async failed() {
    return [...this.jobs.values()].filter((j) => j.state === 'failed').map((j) => ({ id: j.id, data: j.data, error: j.error ?? '' }));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** Entries of a queue's BullMQ event stream kept (approximately; BullMQ's default is 10,000). */
const EVENTS_KEPT = 100;

/** BullMQ job ids may not contain ":" (its key separator); ours are readable references with colons. */
const bullId = (id: string) => id.replace(/:/g, '|');

let bullmq: typeof BullMQ | undefined;
/**
 * BullMQ (and ioredis beneath it) is loaded when the first queue on Redis is built, not with this
 * module: an embedded start never uses it, and loading it cost ≈ 0.3 s of start-up CPU. The same
 * CommonJS module an `import` would give (the package has no ESM entry).
 */
const loadBullmq = (): typeof BullMQ => (bullmq ??= createRequire(import.meta.url)('bullmq') as typeof BullMQ);

export class BullJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(
    private readonly name: string,
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly options: JobQueueOptions,
    private readonly logger?: Logger,
  ) {
    // Nothing reads the queue's event stream (no QueueEvents): a short one is kept for debugging only.
    this.queue = new (loadBullmq().Queue)(name, { connection, prefix, streams: { events: { maxLen: EVENTS_KEPT } } });
    this.queue.on('error', (err) => this.logger?.warn({ err, queue: name }, 'job queue: redis error'));
  }

  async add(id: string, data: T, runAt: Date): Promise<void> {
    const delay = Math.max(0, runAt.getTime() - Date.now());
    await this.queue.add(this.name, data, {
      jobId: bullId(id),
      delay,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      // A completed job is removed at once; its id stays recognised through BullMQ's deduplication
      // key (throttle mode: it outlives the job until its TTL, counted from now), so an id added
      // again within the window is still one job, at ≈ 0.1 KB instead of the job's whole record.
      deduplication: { id: bullId(id), ttl: delay + this.options.recognisedSec * 1000 },
      removeOnComplete: true,
      removeOnFail: false,
    });
  }

  start(handler: JobHandler<T>): void {
    const { Worker: BullWorker, DelayedError } = loadBullmq();
    this.worker = new BullWorker(
      this.name,
      async (job: BullJob, token?: string) => {
        const outcome = await handler({ id: job.id!.replace(/\|/g, ':'), data: job.data as T, attempt: job.attemptsMade + 1 });
        if (outcome !== 'done') {
          await job.moveToDelayed(outcome.retryAt.getTime(), token);
          throw new DelayedError();
        }
      },
      { connection: this.connection, prefix: this.prefix, concurrency: 4 },
    );
    this.worker.on('error', (err) => this.logger?.warn({ err, queue: this.name }, 'job worker: redis error'));
    this.worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= this.options.attempts) this.logger?.warn({ job: job.id, err }, 'job given up');
    });
  }

  async failed() {
    const jobs = await this.queue.getFailed();
    return jobs.map((j) => ({ id: (j.id ?? '').replace(/\|/g, ':'), data: j.data as T, error: j.failedReason }));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
