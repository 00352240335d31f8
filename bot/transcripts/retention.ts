/**
 * Retention: conversations whose last record is older than the retention period are removed, each
 * removal logged in the store's hash-chained retention log. Default 3 years (1095 days) covers
 * Regulation F (3 years) and China's 2-year minimum for collection records.
 */
import { z } from 'zod';
import type { RetentionRecord, TranscriptStore } from './store.js';

export const DEFAULT_RETENTION_DAYS = 1095;

export const RetentionOptions = z.object({
  olderThanDays: z.number().int().min(1).default(DEFAULT_RETENTION_DAYS),
  now: z.date(),
  dryRun: z.boolean().default(false),
});
export type RetentionOptions = z.input<typeof RetentionOptions>;

export interface RetentionRun {
  cutoff: string;
  /** Conversations past retention (removed unless dry run). */
  expired: string[];
  removed: RetentionRecord[];
}

export async function runRetention(store: TranscriptStore, options: RetentionOptions): Promise<RetentionRun> {
  const opts = RetentionOptions.parse(options);
  const cutoff = new Date(opts.now.getTime() - opts.olderThanDays * 24 * 60 * 60 * 1000).toISOString();
  // A conversation starts no later than it ends, so the start-time index narrows the scan.
  const expired = (await store.listConversations({ to: cutoff.slice(0, 10), lastBefore: cutoff })).map((s) => s.conversationId);
  const removed: RetentionRecord[] = [];
  if (!opts.dryRun) {
    for (const id of expired) {
      const record = await store.remove(id, `retention: last activity before ${cutoff} (${opts.olderThanDays} days)`, opts.now);
      if (record) removed.push(record);
    }
  }
  return { cutoff, expired, removed };
}
