/**
 * The AccountService port: where the bot learns who it is talking to and what they owe. The demo
 * implementation serves the built-in demo cardholders; an issuer plugs its own system in behind the
 * same port with the HTTP adapter. Verification answers never leave this boundary in logs.
 */
import { z } from 'zod';
import { Account, IsoDate } from '../policy/index.js';
import { Language } from './language.js';
import { Variant } from './variant.js';

export const CardholderRecord = z.object({
  account: Account,
  policyId: z.string().min(1),
  /** Next payment due date of the account (ISO), for "when is my payment due". */
  dueDate: IsoDate,
  language: Language.nullable(),
  /** Set by the champion/challenger assignment (never taken from the issuer's system). */
  variant: Variant.optional(),
});
export type CardholderRecord = z.infer<typeof CardholderRecord>;

export const VerificationRequest = z.object({
  /** The account the channel says this conversation is about (e.g. a signed-in session); null = any. */
  accountRef: z.string().nullable(),
  last4: z.string().regex(/^\d{4}$/),
  dateOfBirth: IsoDate,
});
export type VerificationRequest = z.infer<typeof VerificationRequest>;

export class AccountServiceUnavailableError extends Error {
  override name = 'AccountServiceUnavailableError';
}

export interface AccountService {
  /** The cardholder whose card and date of birth match, or null (never says which part was wrong). */
  verify(request: VerificationRequest): Promise<CardholderRecord | null>;
  get(accountId: string): Promise<CardholderRecord | null>;
}
