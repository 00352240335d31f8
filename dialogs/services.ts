/**
 * The ports a negotiation needs from the shell. Dialogs receive them in their constructors, so the
 * same dialogs run against demo data in tests and the simulator, and against Redis, an issuer's
 * account API and a real agent desk in production.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { AccountService } from '../bot/accounts/accountService.js';
import type { CaseFile } from '../bot/case.js';
import type { Policy } from '../policy/schema.js';
import type { Handoff } from '../policy/model.js';
import type { Clock } from '../bot/clock.js';
import type { OpenResult } from '../bot/handoff/desk.js';
import type { Auditor } from '../bot/audit.js';
import type { ArrangementRepository } from '../bot/storage/arrangements.js';

/** Where a handed-off case goes: a person picks it up from here. */
export interface HandoffDesk {
  /** Queues the case; says whether a person is available now and the honest wait if so. */
  open(context: TurnContext, file: CaseFile, handoff: Handoff): Promise<OpenResult>;
}

export interface CaseServices {
  caseState: StatePropertyAccessor<CaseFile>;
  accounts: AccountService;
  policy(id: string): Policy;
  arrangements: ArrangementRepository;
  desk: HandoffDesk;
  audit: Auditor;
  clock: Clock;
  /** The account the channel vouches this conversation is about (a signed-in session), if any. */
  claimedAccount(context: TurnContext): string | null;
  settings: { defaultPolicyId: string; maxVerificationAttempts: number };
}
