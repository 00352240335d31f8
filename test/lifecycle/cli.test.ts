/** The payments import, run as a user runs it, against a running bot: validated whole, idempotent on a re-run. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForbear, type RealServer } from '../support/server.js';
import { conclude, SECRET } from './fixtures.js';

const exec = promisify(execFile);
let server: RealServer;
const dir = mkdtempSync(join(tmpdir(), 'payments-'));

beforeAll(async () => {
  // The CLI signs with the real clock, so the server checks freshness against the real clock too.
  server = await startForbear({ PAYMENTS_WEBHOOK_SECRET: SECRET }, { clock: { now: () => new Date() } });
});
afterAll(() => server.running.close());

const run = (file: string, secret = SECRET) =>
  exec('npm', ['run', '-s', 'payments', '--', 'import', file, '--url', server.base], { env: { ...process.env, PAYMENTS_WEBHOOK_SECRET: secret } }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('npm run payments -- import', () => {
  it('refuses a file with a bad line (exit 2, line and field named) and sends nothing; imports a good one once', async () => {
    const a = await conclude(server.forbear, 'cli-pay-1', 'cn-m1-wang', '2026-11-22');
    const first = a.offer.installment!.schedule[0]!;
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      `paymentId,reference,accountId,amountMinor,currency,paidAt\nf-1,${a.reference},cn-m1-wang,${first.amountMinor},CNY,2026-12-20T03:00:00Z\nf-2,,cn-m1-wang,12.50,CNY,2026-12-21T03:00:00Z\n`,
    );
    const refused = await run(bad);
    expect('code' in refused && refused.code).toBe(2);
    expect(refused.stderr).toMatch(/line 3: amountMinor/);
    expect((await server.forbear.lifecycle.book.get(a.reference))!.ledger.events).toEqual([]);

    const good = join(dir, 'good.csv');
    writeFileSync(good, `paymentId,reference,accountId,amountMinor,currency,paidAt\nf-1,${a.reference},cn-m1-wang,${first.amountMinor},CNY,2026-12-20T03:00:00Z\nf-3,,nobody,500,CNY,2026-12-21T03:00:00Z\n`);
    const ok = await run(good);
    expect(JSON.parse(ok.stdout)).toEqual({ payments: 2, applied: 1, unmatched: 1, failed: 0 });
    const again = await run(good);
    expect(JSON.parse(again.stdout)).toEqual({ payments: 2, duplicate: 2, failed: 0 });
    expect((await server.forbear.lifecycle.book.get(a.reference))!.ledger.instalments[0]!.status).toBe('paid');

    const wrongSecret = await run(good, 'x'.repeat(40));
    expect('code' in wrongSecret && wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toMatch(/HTTP 401/);
    const noSecret = await run(good, '');
    expect('code' in noSecret && noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/PAYMENTS_WEBHOOK_SECRET/);
  }, 60_000);
});
