/**
 * The outcome dashboard (`/ops`, roles operations and supervisor, read-only): the report's figures
 * by bucket, language, channel, policy variant and week, charts drawn by Chart.js served from
 * node_modules (no CDN), and the champion/challenger significance readout. The tables arrive
 * formatted by the server (`outcomeTable`), so the page shows exactly what `npm run report` prints.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Forbear } from '../app.js';
import { requireRole, type SessionSigner } from '../auth/session.js';
import { parseOr400 } from '../http/errors.js';
import { pageCsp } from '../http/headers.js';
import { catalogs } from '../../conversation/messages/index.js';
import { Language } from '../../conversation/language.js';
import { asset, serveAssets } from '../web/routes.js';
import { buildReport, DIMENSIONS, type Dimension } from './report.js';
import { collectFacts } from './source.js';
import { comparisonLines, outcomeTable, type Table } from './table.js';

const Query = z
  .object({ from: z.iso.date().optional(), to: z.iso.date().optional(), lang: Language.default('en') })
  .strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be after to', path: ['from'] });

/** Chart.js's self-contained browser build, from the installed package. */
function chartJs(): Buffer {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(new URL('./chart.umd.min.js', `file://${entry}`));
}

function texts(): Record<Language, Record<string, string>> {
  const pick = (lang: Language) =>
    Object.fromEntries(Object.entries(catalogs[lang]).filter(([key]) => key.startsWith('ops.') || ['agent.login', 'agent.login_locked', 'agent.name', 'agent.password', 'agent.sign_in'].includes(key)));
  return Object.fromEntries(Language.options.map((lang) => [lang, pick(lang)])) as Record<Language, Record<string, string>>;
}

export function registerOpsDashboard(server: Server, deps: { forbear: Forbear; signer: SessionSigner }): void {
  const { forbear } = deps;
  const operations = requireRole(deps.signer, 'operations', 'supervisor');
  const file = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url));
  serveAssets(server, {
    '/ops': asset('text/html; charset=utf-8', file('index.html'), 'no-cache', pageCsp()),
    '/ops/assets/ops.js': asset('text/javascript; charset=utf-8', file('ops.js'), 'no-cache'),
    '/ops/assets/ops.css': asset('text/css; charset=utf-8', file('ops.css'), 'no-cache'),
    '/ops/assets/chart.umd.min.js': asset('text/javascript; charset=utf-8', chartJs(), 'public, max-age=86400'),
    '/ops/assets/texts.json': asset('application/json; charset=utf-8', Buffer.from(JSON.stringify(texts())), 'no-cache'),
  });

  const ledgers = { get: async (reference: string) => (await forbear.lifecycle.book.get(reference))?.ledger ?? null };

  server.get('/ops/api/report', operations, async (req: Request, res: Response) => {
    const { from, to, lang } = parseOr400(Query, Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams), 'query');
    const { rows, unreadable } = await collectFacts(forbear.transcripts, { from, to }, ledgers);
    const report = buildReport(rows, { from, to });
    const tables = Object.fromEntries(DIMENSIONS.map((d) => [d, outcomeTable(report, d, lang)])) as Record<Dimension, Table>;
    res.json(200, { report, tables, comparisons: comparisonLines(report, lang), unreadable: unreadable.length });
  });
}
