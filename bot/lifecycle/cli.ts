/**
 * `npm run -s payments -- import FILE [--url http://127.0.0.1:3978]`: a payments file from the
 * issuer (CSV with a header, or JSON lines) sent to the running bot's signed webhook, one request
 * per payment, signed with PAYMENTS_WEBHOOK_SECRET. The whole file is validated first: a bad line
 * stops the import before anything is sent, with exit 2 naming the line and the field. Because the
 * webhook is idempotent by payment id, running the same file again applies nothing twice.
 *
 * CSV columns: paymentId, reference (may be empty), accountId, amountMinor, currency, paidAt.
 * Exit codes: 0 every payment taken (applied, unmatched or already seen), 1 the bot refused or was
 * unreachable for some, 2 bad arguments, environment or file.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { readCli, usageError } from '../cli/args.js';
import { PaymentNotice } from './ledgerBook.js';
import { signedHeaders } from './signature.js';

const PROGRAM = 'payments';
const USAGE = 'usage: npm run -s payments -- import FILE [--url http://127.0.0.1:3978]';

const Args = z.object({
  command: z.literal('import'),
  file: z.string().min(1, 'a payments file is required'),
  url: z.url().default('http://127.0.0.1:3978'),
});

export interface ParsedFile {
  payments: PaymentNotice[];
  problems: string[];
}

/** Every line checked against the webhook's own schema; problems name the line and the field. */
export function parsePaymentsFile(text: string, name: string): ParsedFile {
  let rows: unknown[];
  const problems: string[] = [];
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) {
    rows = text.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        problems.push(`line ${i + 1}: not valid JSON`);
        return [null];
      }
    });
  } else {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    rows = records.map((r) => {
      const { reference, amountMinor, ...rest } = r;
      return { ...rest, ...(reference ? { reference } : {}), amountMinor: /^-?\d+$/.test(amountMinor ?? '') ? Number(amountMinor) : amountMinor };
    });
  }
  const payments: PaymentNotice[] = [];
  const header = name.endsWith('.jsonl') || name.endsWith('.ndjson') ? 0 : 1;
  rows.forEach((row, i) => {
    if (row === null) return;
    const parsed = PaymentNotice.safeParse(row);
    if (parsed.success) payments.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push(`line ${i + 1 + header}: ${issue.path.join('.') || '(row)'}: ${issue.message}`);
  });
  const seen = new Set<string>();
  payments.forEach((p) => {
    if (seen.has(p.paymentId)) problems.push(`paymentId ${p.paymentId}: appears twice in the file`);
    seen.add(p.paymentId);
  });
  return { payments, problems };
}

async function main(): Promise<void> {
  const args = readCli(PROGRAM, USAGE, Args, { url: { type: 'string' } }, (values, positionals) => ({ ...values, command: positionals[0], file: positionals[1] }));
  const secret = process.env['PAYMENTS_WEBHOOK_SECRET']?.trim();
  if (!secret || secret.length < 32) usageError(PROGRAM, USAGE, 'PAYMENTS_WEBHOOK_SECRET: must be set to the bot’s secret (≥ 32 characters)');
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch {
    return usageError(PROGRAM, USAGE, `${args.file}: cannot be read`);
  }
  let parsed: ParsedFile;
  try {
    parsed = parsePaymentsFile(text, args.file);
  } catch (error) {
    return usageError(PROGRAM, USAGE, `${args.file}: ${(error as Error).message}`);
  }
  if (parsed.problems.length > 0) usageError(PROGRAM, USAGE, `${args.file} has problems; nothing was sent:\n  ${parsed.problems.join('\n  ')}`);
  const counts: Record<string, number> = {};
  let failed = 0;
  for (const payment of parsed.payments) {
    const body = JSON.stringify(payment);
    const post = () =>
      fetch(new URL('/api/payments', args.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signedHeaders(secret!, body, new Date()) },
        body,
      });
    try {
      let res = await post();
      // The signature's timestamp has one-second resolution, so the same payment re-imported within that second
      // is byte for byte the request the bot just saw and is refused as a replay: sign it again in the next second.
      if (res.status === 401 && (await res.clone().text()).includes('replayed')) {
        await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
        res = await post();
      }
      const answer = (await res.json().catch(() => ({}))) as { status?: string; error?: { message?: string } };
      if (res.ok) counts[answer.status ?? 'ok'] = (counts[answer.status ?? 'ok'] ?? 0) + 1;
      else {
        failed++;
        process.stderr.write(`${payment.paymentId}: HTTP ${res.status} ${answer.error?.message ?? ''}\n`);
      }
    } catch (error) {
      failed++;
      process.stderr.write(`${payment.paymentId}: ${(error as Error).message}\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ payments: parsed.payments.length, ...counts, failed })}\n`);
  process.exit(failed > 0 ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
