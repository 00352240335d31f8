/**
 * The compliance review console (`/compliance`, role compliance, read-only on conversations):
 * search, transcripts annotated with the decisions behind each bot message, chain verification,
 * seeded QA samples with reviewer verdicts, and exports. Reviewer verdicts go to their own
 * hash-chained log — never into the conversation's chain, which only the conversation writes.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Forbear } from '../app.js';
import { requireRole, sessionOf, type SessionSigner } from '../auth/session.js';
import { HttpError, parseOr400 } from '../http/errors.js';
import { EMPTY_HEAD, headOf, type Linked } from '../transcripts/chain.js';
import { exportCsv, exportJsonl, renderTranscriptHtml } from '../transcripts/export.js';
import { ConversationFilter, type ConversationSummary, type TranscriptRecord } from '../transcripts/schema.js';
import { currencyOf, readableDecision } from '../transcripts/readable.js';
import { verifyConversation } from '../transcripts/store.js';
import { Language } from '../../conversation/language.js';
import { registerPage } from '../http/pages.js';

const Review = z.object({ verdict: z.enum(['pass', 'fail', 'needs_followup']), comment: z.string().max(2000).default('') }).strict();
const ReviewRecord = z.object({
  conversationId: z.string(),
  reviewer: z.string(),
  verdict: Review.shape.verdict,
  comment: z.string(),
  at: z.string(),
  seq: z.number().int(),
  prevHash: z.string(),
  hash: z.string(),
});
type ReviewRecord = z.infer<typeof ReviewRecord>;
const Sample = z.object({ n: z.number().int().min(1).max(500), seed: z.string().min(1).max(100), filter: ConversationFilter.default({}) }).strict();
const Format = z.enum(['jsonl', 'csv', 'html']);

const queryOf = (req: Request) => new URL(req.url ?? '/', 'http://x').searchParams;
const Page = z.object({ page: z.coerce.number().int().min(1).default(1), pageSize: z.coerce.number().int().min(1).max(200).default(25) });

const parsed = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => parseOr400(schema, input, 'query');

/**
 * Query strings are text: the filter's one number is converted before validation. Conversations the
 * cardholder never wrote in (a chat page opened and left) are not reviewable conversations.
 */
function filterOf(req: Request) {
  const query = Object.fromEntries(queryOf(req));
  for (const key of ['format', 'page', 'pageSize', 'lang']) delete query[key];
  return parsed(ConversationFilter, { ...query, ...(query['limit'] ? { limit: Number(query['limit']) } : {}), engaged: true });
}

/**
 * Each bot message with the decisions it expresses (`basedOn`): an offer leads to its
 * `offer_shown` record (policy id, version, rule ids) and the evaluation nearest before it.
 */
export function annotate(records: readonly TranscriptRecord[]): Record<number, TranscriptRecord[]> {
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const notes: Record<number, TranscriptRecord[]> = {};
  for (const r of records) {
    if (r.kind !== 'activity' || r.payload.basedOn.length === 0) continue;
    const decisions = r.payload.basedOn.map((seq) => bySeq.get(seq)).filter((d): d is TranscriptRecord => d !== undefined);
    notes[r.seq] = decisions;
  }
  return notes;
}

/** The same seed always draws the same conversations from the same search. */
export function sample<T extends { conversationId: string }>(items: readonly T[], n: number, seed: string): T[] {
  const rank = (id: string) => createHash('sha256').update(`${seed}\u0000${id}`).digest('hex');
  return [...items].sort((a, b) => rank(a.conversationId).localeCompare(rank(b.conversationId))).slice(0, n);
}

export function registerComplianceConsole(server: Server, deps: { forbear: Pick<Forbear, 'clock' | 'policy' | 'stores' | 'transcripts'>; signer: SessionSigner; defaultPolicy: string }): void {
  const { forbear } = deps;
  /** A conversation is read in its own language and local time (its policy's timezone). */
  const localeOf = (summary: ConversationSummary) => ({
    lang: summary.language ?? 'zh-CN',
    timeZone: forbear.policy(summary.policyVersions[0]?.split('@')[0] ?? deps.defaultPolicy).timezone,
  });
  const withZone = (c: ConversationSummary) => ({ ...c, timeZone: localeOf(c).timeZone });
  const readerLanguage = (req: Request) => Language.safeParse(queryOf(req).get('lang')).data;
  const compliance = requireRole(deps.signer, 'compliance');
  const reviews = forbear.stores.keyValue({ namespace: 'qa-review', schema: z.array(ReviewRecord), scope: 'global' });

  registerPage(server, {
    path: '/compliance',
    dir: new URL('./static/', import.meta.url),
    files: ['review.js'],
    texts: (key) => ['compliance.', 'agent.', 'review.', 'transcript.'].some((p) => key.startsWith(p)),
    console: { area: 'compliance' },
  });

  const idOf = (req: Request) => parsed(z.string().min(1).max(200), req.params?.['id']);

  server.get('/compliance/api/conversations', compliance, async (req: Request, res: Response) => {
    const { page, pageSize } = parsed(Page, Object.fromEntries(queryOf(req)));
    const all = await forbear.transcripts.listConversations(filterOf(req));
    // Newest first, a page at a time.
    const newest = [...all].reverse();
    // Each row's time in the conversation's own zone (as the printable record), never the reader's browser's.
    const rows = newest.slice((page - 1) * pageSize, page * pageSize).map(withZone);
    res.json(200, { conversations: rows, total: all.length, page, pageSize });
  });

  server.get('/compliance/api/conversations/:id', compliance, async (req: Request, res: Response) => {
    const id = idOf(req);
    const summary = await forbear.transcripts.summary(id);
    if (!summary) throw new HttpError(404, 'NotFound', 'No such conversation.');
    const records = await forbear.transcripts.read(id).catch(() => []);
    const lang = readerLanguage(req) ?? localeOf(summary).lang;
    // Each annotated message's decisions in words: rule, terms, authority.
    const currency = currencyOf(records);
    const readable = Object.fromEntries(
      Object.entries(annotate(records)).map(([seq, decisions]) => [seq, decisions.flatMap((d) => (d.kind === 'decision' ? [readableDecision(d, lang, currency)] : []))]),
    );
    res.json(200, { summary, records, annotations: readable, verification: await verifyConversation(forbear.transcripts, id), timeZone: localeOf(summary).timeZone });
  });

  server.get('/compliance/api/conversations/:id/export', compliance, async (req: Request, res: Response) => {
    const id = idOf(req);
    const format = parsed(Format, queryOf(req).get('format') ?? 'jsonl');
    const summary = await forbear.transcripts.summary(id);
    if (!summary) throw new HttpError(404, 'NotFound', 'No such conversation.');
    if (format === 'html') {
      const records = await forbear.transcripts.read(id);
      const html = renderTranscriptHtml(id, records, {
        ...localeOf(summary),
        ...(readerLanguage(req) ? { lang: readerLanguage(req)! } : {}),
        verification: await verifyConversation(forbear.transcripts, id),
        exportedAt: forbear.clock.now(),
      });
      res.sendRaw(200, html, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      return;
    }
    res.sendRaw(200, await collect((out) => (format === 'csv' ? exportCsv : exportJsonl)(forbear.transcripts, [id], out)), contentType(format, id));
  });

  server.get('/compliance/api/export', compliance, async (req: Request, res: Response) => {
    const format = parsed(z.enum(['jsonl', 'csv']), queryOf(req).get('format') ?? 'jsonl');
    const filter = filterOf(req);
    res.sendRaw(200, await collect((out) => (format === 'csv' ? exportCsv : exportJsonl)(forbear.transcripts, filter, out)), contentType(format, 'search'));
  });

  server.post('/compliance/api/sample', compliance, async (req: Request, res: Response) => {
    const { n, seed, filter } = parsed(Sample, req.body ?? {});
    res.json(200, { conversations: sample(await forbear.transcripts.listConversations({ ...filter, engaged: true }), n, seed).map(withZone) });
  });

  server.post('/compliance/api/conversations/:id/review', compliance, async (req: Request, res: Response) => {
    const id = idOf(req);
    const verdict = parsed(Review, req.body ?? {});
    if (!(await forbear.transcripts.summary(id))) throw new HttpError(404, 'NotFound', 'No such conversation.');
    const body = { conversationId: id, reviewer: sessionOf(req).name, ...verdict, at: forbear.clock.now().toISOString() };
    const log = await reviews.update('log', (current = []) => [...current, forbear.transcripts.sealing.chain.link(current.length ? headOf(current) : EMPTY_HEAD, body) as ReviewRecord]);
    res.json(200, log.at(-1));
  });

  server.get('/compliance/api/reviews', compliance, async (_req: Request, res: Response) => {
    const log = (await reviews.get('log')) ?? [];
    res.json(200, { reviews: log, verification: forbear.transcripts.sealing.chain.verify(log as Linked[]) });
  });
}

async function collect(write: (out: PassThrough) => Promise<unknown>): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await write(out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

function contentType(format: 'jsonl' | 'csv', name: string) {
  return {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="forbear-${name.replace(/[^A-Za-z0-9_-]/g, '_')}.${format}"`,
  };
}
