/**
 * `npm run -s report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by variant|bucket|language|channel|week] [--lang en|zh-CN|zh-TW] [--json]`
 *
 * The `/ops` dashboard's figures from the command line, computed from the stored transcripts
 * (Redis when REDIS_URL is set, keys under REDIS_KEY_PREFIX, read with the bot's TRANSCRIPT_HMAC_KEY;
 * otherwise an empty in-process store).
 * Exit 2: bad arguments or environment (the message names the flag or variable).
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { storeFromEnv } from '../transcripts/cli.js';
import type { TranscriptStore } from '../transcripts/store.js';
import { Language } from '../../conversation/language.js';
import { DIMENSIONS, buildReport } from './report.js';
import { collectFacts, type LedgerReader } from './source.js';
import { ledgerRecords } from '../lifecycle/ledgerBook.js';
import { openStores } from '../storage/index.js';
import { renderText } from './table.js';

const USAGE = 'usage: npm run -s report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by variant|bucket|language|channel|week] [--lang en|zh-CN|zh-TW] [--json]';

export const ReportArgs = z
  .object({
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    by: z.enum(DIMENSIONS).default('variant'),
    lang: Language.default('en'),
    json: z.boolean().default(false),
  })
  .refine((a) => !a.from || !a.to || a.from <= a.to, { message: 'must not be after --to', path: ['from'] });
export type ReportArgs = z.infer<typeof ReportArgs>;

/** The report as the CLI prints it: JSON (every dimension) or the table by one dimension. */
export async function reportOutput(store: TranscriptStore, args: ReportArgs, ledgers?: LedgerReader): Promise<string> {
  const range = { from: args.from, to: args.to };
  const { rows, unreadable } = await collectFacts(store, range, ledgers);
  const report = buildReport(rows, range);
  return args.json ? `${JSON.stringify({ ...report, unreadable }, null, 2)}\n` : `${renderText(report, args.by, args.lang)}\n`;
}

async function main(): Promise<void> {
  const args = readCli('report', USAGE, ReportArgs, {
    from: { type: 'string' },
    to: { type: 'string' },
    by: { type: 'string' },
    lang: { type: 'string' },
    json: { type: 'boolean' },
  });
  const { store, redis, close } = await storeFromEnv('report');
  // Kept and cure rates come from the ledgers the bot keeps in the same Redis.
  const stores = await openStores(redis);
  const records = ledgerRecords(stores);
  try {
    process.stdout.write(await reportOutput(store, args, { get: async (reference) => (await records.get(reference))?.ledger ?? null }));
  } finally {
    close();
    await stores.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
