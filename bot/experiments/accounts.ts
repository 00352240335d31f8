/**
 * The one place a variant is applied: every cardholder record the bot, the agent console and the
 * desk read goes through here, so the policy that bounds the bot (and a person's approval) is the
 * variant's — `record.policyId` names the challenger (`default-cn@2026.3`) when the account drew it.
 */
import type { AccountService, CardholderRecord, VerificationRequest } from '../../conversation/accounts.js';
import type { Policy } from '../../policy/index.js';
import type { Variant } from '../../conversation/variant.js';
import { assignVariant, type Experiment } from './variant.js';

export class VariantAccountService implements AccountService {
  constructor(
    private readonly inner: AccountService,
    private readonly experiment: Experiment,
    private readonly policy: (id: string) => Policy,
    /** Told of each verified cardholder's variant (the Prometheus counter). */
    private readonly onAssigned?: (variant: Variant) => void,
  ) {}

  async verify(request: VerificationRequest): Promise<CardholderRecord | null> {
    const record = this.assigned(await this.inner.verify(request));
    if (record?.variant) this.onAssigned?.(record.variant);
    return record;
  }

  async get(accountId: string): Promise<CardholderRecord | null> {
    return this.assigned(await this.inner.get(accountId));
  }

  private assigned(record: CardholderRecord | null): CardholderRecord | null {
    if (!record) return null;
    const variant = assignVariant(this.experiment, this.policy(record.policyId), record.account.accountId, record.account.daysPastDue);
    return { ...record, policyId: variant.policyRef, variant };
  }
}
