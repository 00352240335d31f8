/**
 * Durable exports of transcripts: JSONL (one record per line, exactly as hashed, so `verify` can
 * be rerun on the file), CSV for spreadsheets (one row per record, the payload as canonical JSON),
 * and a printable HTML view of one conversation whose labels come from the message catalogs.
 */
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';
import type { Writable } from 'node:stream';
import { t, type MessageKey } from '../../conversation/messages/index.js';
import type { Language } from '../../conversation/language.js';
import { canonicalJson, type Verification } from './chain.js';
import { currencyOf, readableDecision } from './readable.js';
import type { ConversationFilterInput, TranscriptRecord } from './schema.js';
import type { TranscriptStore } from './store.js';

export type Selection = readonly string[] | ConversationFilterInput;

export interface ExportCounts {
  conversations: number;
  records: number;
}

async function conversationIds(store: TranscriptStore, selection: Selection): Promise<string[]> {
  return Array.isArray(selection) ? [...selection] : (await store.listConversations(selection as ConversationFilterInput)).map((s) => s.conversationId);
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Streams the selection conversation by conversation; the writable is left open for the caller. */
async function exportWith(store: TranscriptStore, selection: Selection, out: Writable, render: (records: TranscriptRecord[], first: boolean) => string): Promise<ExportCounts> {
  const counts = { conversations: 0, records: 0 };
  for (const id of await conversationIds(store, selection)) {
    const records = await store.read(id);
    if (records.length === 0) continue;
    await write(out, render(records, counts.conversations === 0));
    counts.conversations += 1;
    counts.records += records.length;
  }
  return counts;
}

export function exportJsonl(store: TranscriptStore, selection: Selection, out: Writable): Promise<ExportCounts> {
  return exportWith(store, selection, out, (records) => records.map((r) => `${canonicalJson(r)}\n`).join(''));
}

export const CSV_COLUMNS = ['conversationId', 'seq', 'at', 'kind', 'actor', 'type', 'text', 'payload', 'prevHash', 'hash'] as const;

/** The human-readable line of a record, for the CSV's `text` column. */
export function recordText(r: TranscriptRecord): string {
  if (r.kind === 'activity') return r.payload.text ?? '';
  const p = r.payload;
  if ('text' in p) return p.text;
  if ('redactedText' in p) return p.redactedText ?? '';
  if ('detail' in p) return p.detail;
  return '';
}

export function csvRows(records: readonly TranscriptRecord[]): string[][] {
  return records.map((r) => [
    r.conversationId,
    String(r.seq),
    r.at,
    r.kind,
    r.actor,
    r.payload.type,
    recordText(r),
    canonicalJson(r.payload),
    r.prevHash,
    r.hash,
  ]);
}

/** RFC 4180 CSV through csv-stringify: quotes, commas, newlines and CJK text survive a round trip. */
export function exportCsv(store: TranscriptStore, selection: Selection, out: Writable): Promise<ExportCounts> {
  return exportWith(store, selection, out, (records, first) => stringify(csvRows(records), { header: first, columns: [...CSV_COLUMNS] }));
}

/** Five characters are all HTML text and attribute values need escaping; a dependency would be larger than this. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function decisionDetails(r: TranscriptRecord & { kind: 'decision' }, lang: Language, currency: string | null): string {
  return readableDecision(r, lang, currency)
    .fields.map((f) => `<div><span class="k">${escapeHtml(f.label)}</span> <span class="v">${escapeHtml(f.value)}</span></div>`)
    .join('');
}

/** A record's moment in the reader's local time (the conversation's policy timezone). */
export function localMoment(iso: string, lang: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(iso));
}

export interface HtmlOptions {
  lang: Language;
  /** IANA zone the times are shown in (the conversation's policy timezone); UTC if not given. */
  timeZone?: string;
  verification: Verification;
  exportedAt: Date;
}

/** A self-contained page for printing (or "Save as PDF") a single conversation. */
export function renderTranscriptHtml(conversationId: string, records: readonly TranscriptRecord[], opts: HtmlOptions): string {
  const L = (key: MessageKey, vars?: Record<string, string | number>) => escapeHtml(t(opts.lang, key, vars));
  const zone = opts.timeZone ?? 'UTC';
  const chain = opts.verification.ok
    ? `<p class="ok">${L('transcript.chain_ok', { records: opts.verification.records })}</p>`
    : `<p class="bad">${L('transcript.chain_bad', { seq: opts.verification.firstBadSeq, problem: opts.verification.problem })}</p>`;
  const currency = currencyOf(records);
  const rows = records.map((r) => {
    const content =
      r.kind === 'activity'
        ? `<div class="text">${escapeHtml(r.payload.text ?? '')}</div>${
            r.payload.basedOn.length ? `<div class="basis">${L('transcript.based_on', { seqs: r.payload.basedOn.map((s) => `#${s}`).join(', ') })}</div>` : ''
          }`
        : `<div class="decision">${L(`transcript.decision.${r.payload.type}`)}</div>${decisionDetails(r, opts.lang, currency)}`;
    return `<tr id="r${r.seq}" class="${r.kind}"><td>${r.seq}</td><td>${escapeHtml(localMoment(r.at, opts.lang, zone))}</td><td>${L(`transcript.actor.${r.actor}`)}</td><td>${content}<div class="hash">${L('transcript.hash')} ${r.hash}</div></td></tr>`;
  });
  return `<!doctype html>
<html lang="${escapeHtml(opts.lang)}"><head><meta charset="utf-8"><title>${L('transcript.title')} — ${escapeHtml(conversationId)}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}td:nth-child(-n+3){white-space:nowrap}tr.decision{background:#f6f6f6;font-size:90%}.k{color:#555;font-weight:600}.v{white-space:pre-wrap}tr.activity td:nth-child(3){font-weight:600}.hash{color:#999;font-size:75%;word-break:break-all}.ok{color:#060}.bad{color:#b00;font-weight:700}.basis{color:#036;font-size:85%}@media print{tr{page-break-inside:avoid}}</style>
</head><body>
<h1>${L('transcript.title')}</h1>
<p>${L('transcript.conversation', { id: conversationId })} · ${L('transcript.exported_at', { at: localMoment(opts.exportedAt.toISOString(), opts.lang, zone) })}</p>
${chain}
<table><thead><tr><th>${L('transcript.col.seq')}</th><th>${L('transcript.col.time', { zone })}</th><th>${L('transcript.col.actor')}</th><th>${L('transcript.col.content')}</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
