/**
 * Where transcripts live. `append` is the only way in: it assigns the next sequence number and
 * seals the entry with the keyed hash in one atomic step (so two bot instances can
 * never fork a chain), updates the conversation's search summary, and then writes a signed
 * checkpoint of the new head outside the store. `remove` exists only for retention and leaves a
 * record of itself in a separate, equally chained retention log.
 */
import { Chain, EMPTY_HEAD, type Checkpoint, type Linked, type Verification } from './chain.js';
import { MemoryCheckpointLog, type CheckpointLog } from './checkpoints.js';
import {
  ChainHead,
  ConversationFilter,
  RetentionEntry,
  TranscriptRecord,
  type TranscriptEntry,
  type ConversationFilterInput,
  type ConversationSummary,
} from './schema.js';
import { applyDelta, matchesFilter, summaryDelta } from './summary.js';
import { z } from 'zod';
import { decodeCompact, encodeCompactText } from '../storage/compact.js';

export const RetentionRecord = RetentionEntry.extend({ seq: z.number().int().min(1), prevHash: ChainHead.shape.hash, hash: ChainHead.shape.hash });
export type RetentionRecord = z.infer<typeof RetentionRecord>;

/** Records exactly as stored (not passed through a schema, which would hide added fields) plus the head. */
export interface StoredChain {
  records: (Linked & Record<string, unknown>)[];
  head: ChainHead | null;
}

/** How records are sealed and where the heads are anchored; the same for every store of a deployment. */
export interface Sealing {
  chain: Chain;
  checkpoints: CheckpointLog;
}

/** Embedded use and tests: a random key and in-memory checkpoints. */
export const ephemeralSealing = (): Sealing => ({ chain: Chain.ephemeral(), checkpoints: new MemoryCheckpointLog() });

/**
 * Builds the entries of one batch once the head they will follow is known: they get seqs
 * head.seq + 1, head.seq + 2… (so an entry may cite another of the batch by seq). Called again
 * with the new head if another writer extended the chain first.
 */
export type BatchBuilder = (head: ChainHead) => TranscriptEntry[] | Promise<TranscriptEntry[]>;

export interface TranscriptStore {
  readonly sealing: Sealing;
  /** One record: a batch of one. */
  append(conversationId: string, entry: TranscriptEntry): Promise<TranscriptRecord>;
  /**
   * The records of one turn, sealed in order and stored atomically — all of them or none — in one
   * round trip, then anchored by one checkpoint. An empty batch stores nothing.
   */
  appendBatch(conversationId: string, build: BatchBuilder): Promise<TranscriptRecord[]>;
  /** Parsed records, oldest first; a record that no longer fits the schema throws. */
  read(conversationId: string): Promise<TranscriptRecord[]>;
  head(conversationId: string): Promise<ChainHead | null>;
  /** Records and head read together, for verification. */
  stored(conversationId: string): Promise<StoredChain>;
  summary(conversationId: string): Promise<ConversationSummary | null>;
  /** Summaries matching the filter, by start time. */
  listConversations(filter?: ConversationFilterInput): Promise<ConversationSummary[]>;
  /** Deletes a conversation and logs the removal; null when there was nothing to remove. */
  remove(conversationId: string, reason: string, now?: Date): Promise<RetentionRecord | null>;
  retentionLog(): Promise<{ records: RetentionRecord[]; head: ChainHead }>;
}

/**
 * The whole check of one conversation: records, the head beside them, the conversation id, the
 * signed checkpoint from outside the store, and the search summary (a summary with no records is
 * a deleted log, not an empty one).
 */
export async function verifyConversation(store: TranscriptStore, conversationId: string): Promise<Verification> {
  const [{ records, head }, checkpoint, summary] = await Promise.all([
    store.stored(conversationId),
    store.sealing.checkpoints.latest(conversationId),
    store.summary(conversationId),
  ]);
  return store.sealing.chain.verify(records, { head, conversationId, checkpoint, expectRecords: summary !== null });
}

/** After a successful append: the signed checkpoint of the new head goes to the sink outside the store. */
export function anchor(sealing: Sealing, conversationId: string, record: Linked & { at: string }): Promise<void> {
  const checkpoint: Checkpoint = sealing.chain.checkpoint(conversationId, { seq: record.seq, hash: record.hash }, record.at);
  return sealing.checkpoints.append([checkpoint]);
}

export function parseStored(conversationId: string, raw: unknown[]): TranscriptRecord[] {
  return raw.map((r, i) => {
    const parsed = TranscriptRecord.safeParse(r);
    if (!parsed.success) throw new Error(`transcript ${conversationId}: record ${i + 1} does not match the schema: ${parsed.error.message}`);
    return parsed.data;
  });
}

/**
 * Seals the records a batch stores after `head`; shared so both stores seal records identically.
 * The entries are records the code has just built, complete by type (`TranscriptEntry`, the
 * schema's output: every default filled, instants from `toISOString()`), so they are not run
 * through the schema again; what is read back from a store is (`parseStored`).
 */
export function sealBatch(chain: Chain, conversationId: string, head: ChainHead, entries: readonly TranscriptEntry[]): TranscriptRecord[] {
  return chain.seal(head, entries.map((entry) => ({ conversationId, ...entry })));
}

export function retentionEntry(
  conversationId: string,
  reason: string,
  now: Date,
  head: ChainHead | null,
  summary: ConversationSummary | null,
): RetentionEntry {
  return RetentionEntry.parse({
    conversationId,
    removedAt: now.toISOString(),
    reason,
    records: summary?.records ?? head?.seq ?? 0,
    head,
    startedAt: summary?.startedAt ?? null,
    lastAt: summary?.lastAt ?? null,
  });
}

/**
 * In-process store for tests and single-instance development. Each batch is kept compact, as
 * Redis keeps it (bot/storage/compact.ts), as latin1 text: a fraction of the records' JSON, in the
 * JS heap rather than a malloc'd Buffer per batch, and a copy the caller cannot change afterwards.
 */
export class MemoryTranscriptStore implements TranscriptStore {
  private readonly logs = new Map<string, { batches: string[]; head: ChainHead; summary: ConversationSummary }>();
  private readonly retention: { records: string[]; head: ChainHead } = { records: [], head: EMPTY_HEAD };

  constructor(readonly sealing: Sealing = ephemeralSealing()) {}

  async append(conversationId: string, entry: TranscriptEntry): Promise<TranscriptRecord> {
    return (await this.appendBatch(conversationId, () => [entry]))[0]!;
  }

  async appendBatch(conversationId: string, build: BatchBuilder): Promise<TranscriptRecord[]> {
    const head = this.logs.get(conversationId)?.head ?? EMPTY_HEAD;
    const entries = await build(head);
    // The builder may have awaited: another append of this conversation could have run meanwhile.
    if ((this.logs.get(conversationId)?.head ?? EMPTY_HEAD).seq !== head.seq) return this.appendBatch(conversationId, build);
    if (entries.length === 0) return [];
    // Sealed in full before anything is stored: a failure leaves the log as it was.
    const records = sealBatch(this.sealing.chain, conversationId, head, entries);
    const batch = encodeCompactText(records);
    let log = this.logs.get(conversationId);
    let summary = log?.summary ?? null;
    for (const r of records) summary = applyDelta(summary, summaryDelta(r));
    const last = records.at(-1)!;
    if (!log) {
      log = { batches: [], head: EMPTY_HEAD, summary: summary! };
      this.logs.set(conversationId, log);
    }
    log.batches.push(batch);
    log.head = { seq: last.seq, hash: last.hash };
    log.summary = summary!;
    await anchor(this.sealing, conversationId, last);
    return records;
  }

  async read(conversationId: string): Promise<TranscriptRecord[]> {
    return parseStored(conversationId, (await this.stored(conversationId)).records);
  }

  async head(conversationId: string): Promise<ChainHead | null> {
    return this.logs.get(conversationId)?.head ?? null;
  }

  async stored(conversationId: string): Promise<StoredChain> {
    const log = this.logs.get(conversationId);
    return { records: (log?.batches ?? []).flatMap((b) => decodeCompact(b) as (Linked & Record<string, unknown>)[]), head: log?.head ?? null };
  }

  async summary(conversationId: string): Promise<ConversationSummary | null> {
    return this.logs.get(conversationId)?.summary ?? null;
  }

  async listConversations(filter: ConversationFilterInput = {}): Promise<ConversationSummary[]> {
    const f = ConversationFilter.parse(filter);
    const all = [...this.logs.values()].map((l) => l.summary).filter((s) => matchesFilter(s, f));
    all.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.conversationId.localeCompare(b.conversationId));
    return f.limit === undefined ? all : all.slice(0, f.limit);
  }

  async remove(conversationId: string, reason: string, now: Date = new Date()): Promise<RetentionRecord | null> {
    const log = this.logs.get(conversationId);
    if (!log) return null;
    const record = RetentionRecord.parse(this.sealing.chain.link(this.retention.head, retentionEntry(conversationId, reason, now, log.head, log.summary)));
    this.retention.records.push(JSON.stringify(record));
    this.retention.head = { seq: record.seq, hash: record.hash };
    this.logs.delete(conversationId);
    return record;
  }

  async retentionLog(): Promise<{ records: RetentionRecord[]; head: ChainHead }> {
    return { records: this.retention.records.map((r) => RetentionRecord.parse(JSON.parse(r))), head: this.retention.head };
  }
}
