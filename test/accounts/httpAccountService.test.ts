/**
 * The issuer's account system behind the AccountService port, over real HTTP: answers are
 * validated, "no match" is null, and an unreachable or misbehaving service is an explicit error,
 * never a silent "not verified".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountServiceUnavailableError, type CardholderRecord } from '../../conversation/accounts.js';
import { HttpAccountService } from '../../bot/accounts/httpAccountService.js';

const record: CardholderRecord = {
  account: {
    accountId: 'acc-1',
    currency: 'CNY',
    daysPastDue: 40,
    principalMinor: 1_000_000,
    interestMinor: 20_000,
    feesMinor: 5_000,
    minimumPaymentMinor: 100_000,
  },
  policyId: 'default-cn',
  dueDate: '2026-10-13',
  language: 'zh-CN',
};

let server: Server;
let base: string;
const received: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/issuer/verify') {
        const asked = JSON.parse(body) as { last4: string; dateOfBirth: string };
        received.push(asked);
        const ok = asked.last4 === '1234' && asked.dateOfBirth === '1980-01-02';
        res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(ok ? JSON.stringify(record) : '{}');
      } else if (req.url === '/issuer/accounts/acc-1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
      } else if (req.url === '/issuer/accounts/broken') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ account: { accountId: 'x' } }));
      } else if (req.url === '/issuer/accounts/down') {
        res.writeHead(502).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/issuer`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpAccountService', () => {
  it('verifies through the issuer and returns the validated record', async () => {
    const service = new HttpAccountService(base, 2000);
    expect(await service.verify({ accountRef: null, last4: '1234', dateOfBirth: '1980-01-02' })).toEqual(record);
    expect(received.at(-1)).toEqual({ accountRef: null, last4: '1234', dateOfBirth: '1980-01-02' });
    expect(await service.verify({ accountRef: null, last4: '9999', dateOfBirth: '1980-01-02' })).toBeNull();
    expect(await service.get('acc-1')).toEqual(record);
    expect(await service.get('nobody')).toBeNull();
  });

  it('refuses an invalid record and a failing service with a clear error', async () => {
    const service = new HttpAccountService(base, 2000);
    await expect(service.get('broken')).rejects.toThrow(AccountServiceUnavailableError);
    await expect(service.get('broken')).rejects.toThrow(/invalid record/);
    await expect(service.get('down')).rejects.toThrow(/HTTP 502/);
  });

  it('names the unreachable service instead of hanging', async () => {
    const service = new HttpAccountService('http://127.0.0.1:9/issuer', 500);
    await expect(service.get('acc-1')).rejects.toThrow(/127\.0\.0\.1:9 is unreachable/);
  });
});
