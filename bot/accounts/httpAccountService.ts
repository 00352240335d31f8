/**
 * AccountService over an issuer's HTTP API (ACCOUNT_SERVICE_URL):
 *   POST {base}/verify   {accountRef, last4, dateOfBirth} → 200 CardholderRecord | 404
 *   GET  {base}/accounts/{id}                            → 200 CardholderRecord | 404
 * Every response is validated; an unreachable or misbehaving service is an
 * AccountServiceUnavailableError, never a silent "not verified".
 */
import { z } from 'zod';
import {
  AccountServiceUnavailableError,
  CardholderRecord,
  type AccountService,
  type VerificationRequest,
} from '../../conversation/accounts.js';

export class HttpAccountService implements AccountService {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  verify(request: VerificationRequest) {
    return this.call('POST', '/verify', request);
  }

  get(accountId: string) {
    return this.call('GET', `/accounts/${encodeURIComponent(accountId)}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<CardholderRecord | null> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new AccountServiceUnavailableError(`account service at ${url.origin} is unreachable: ${(err as Error).message}`);
    }
    if (response.status === 404) return null;
    if (!response.ok) throw new AccountServiceUnavailableError(`account service answered HTTP ${response.status} for ${method} ${url.pathname}`);
    const parsed = CardholderRecord.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new AccountServiceUnavailableError(`account service sent an invalid record: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }
}
