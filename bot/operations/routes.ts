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
import { Language } from '../../conversation/language.js';
import { registerPage } from '../http/pages.js';
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

export function registerOpsDashboard(server: Server, deps: { forbear: Pick<Forbear, 'lifecycle' | 'transcripts'>; signer: SessionSigner }): void {
  const { forbear } = deps;
  const operations = requireRole(deps.signer, 'operations', 'supervisor');
  registerPage(server, {
    path: '/ops',
    dir: new URL('./static/', import.meta.url),
    files: ['ops.css', 'ops.js'],
    bundles: { 'chart.umd.min.js': chartJs() },
    texts: (key) => key.startsWith('ops.') || key.startsWith('agent.reason_') || ['agent.login', 'agent.login_locked', 'agent.name', 'agent.password', 'agent.sign_in', 'agent.date_hint', 'agent.date_invalid'].includes(key),
    console: { area: 'ops' },
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
