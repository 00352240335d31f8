/**
 * The embedded AccountService: the demo cardholders from `policy/demo-accounts.ts`. Their missed
 * payment date is derived from the clock and their days past due, so the demo stays coherent on
 * any day it is run.
 */
import { addDays, DEMO_ACCOUNTS, type DemoAccount, Account } from '../../policy/index.js';
import { todayIn, type Clock } from '../../conversation/clock.js';
import type { AccountService, CardholderRecord, VerificationRequest } from '../../conversation/accounts.js';

export class DemoAccountService implements AccountService {
  /** Each demo account as the Account schema reads it, parsed once (it was parsed on every look-up); frozen, as it is shared. */
  private readonly parsed: Map<DemoAccount, Readonly<Account>>;

  constructor(
    private readonly clock: Clock,
    private readonly timezoneOf: (policyId: string) => string,
    private readonly accounts: readonly DemoAccount[] = DEMO_ACCOUNTS,
  ) {
    this.parsed = new Map(accounts.map((a) => [a, Object.freeze(Account.parse(a))]));
  }

  async verify(request: VerificationRequest): Promise<CardholderRecord | null> {
    const match = this.accounts.find(
      (a) =>
        (request.accountRef === null || a.accountId === request.accountRef) &&
        a.last4 === request.last4 &&
        a.dateOfBirth === request.dateOfBirth,
    );
    return match ? this.toRecord(match) : null;
  }

  async get(accountId: string): Promise<CardholderRecord | null> {
    const match = this.accounts.find((a) => a.accountId === accountId);
    return match ? this.toRecord(match) : null;
  }

  private toRecord(a: DemoAccount): CardholderRecord {
    const today = todayIn(this.clock, this.timezoneOf(a.policyId));
    return {
      account: this.parsed.get(a)!,
      policyId: a.policyId,
      dueDate: addDays(today, -a.daysPastDue),
      language: a.language,
    };
  }
}
