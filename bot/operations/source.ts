/**
 * Where the outcome report reads from: the stored transcripts (the same records compliance reads,
 * so the figures can be traced to decisions) and, when there is one, the arrangement ledger.
 */
import type { Ledger } from '../../policy/index.js';
import { isUnavailability } from '../storage/errors.js';
import type { TranscriptStore } from '../transcripts/store.js';
import { conversationFacts, ledgerOutcome, type ConversationFacts } from './report.js';

/** The arrangement ledger, by arrangement reference (absent until ledgers are kept). */
export interface LedgerReader {
  get(reference: string): Promise<Ledger | null>;
}

/** Conversations are read this many at a time: enough to hide Redis round trips, few enough to stay polite. */
const READ_CONCURRENCY = 16;

export interface Collected {
  rows: ConversationFacts[];
  /** Conversations whose records no longer parse (edited in storage): left out and counted. */
  unreadable: string[];
}

export async function collectFacts(
  store: TranscriptStore,
  range: { from?: string | undefined; to?: string | undefined },
  ledgers?: LedgerReader,
): Promise<Collected> {
  const summaries = await store.listConversations({ ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) });
  const rows: ConversationFacts[] = [];
  const unreadable: string[] = [];
  for (let i = 0; i < summaries.length; i += READ_CONCURRENCY) {
    const batch = summaries.slice(i, i + READ_CONCURRENCY);
    const facts = await Promise.all(
      batch.map(async ({ conversationId }) => {
        try {
          const f = conversationFacts(await store.read(conversationId));
          if (f?.arrangement && ledgers) {
            const ledger = await ledgers.get(f.arrangement);
            f.ledger = ledger ? ledgerOutcome(ledger) : null;
          }
          return f;
        } catch (err) {
          // A store outage is the caller's problem (an HTTP 503); a record that no longer parses is this conversation's.
          if (isUnavailability(err)) throw err;
          unreadable.push(conversationId);
          return null;
        }
      }),
    );
    for (const f of facts) if (f) rows.push(f);
  }
  return { rows, unreadable };
}
