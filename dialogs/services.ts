/**
 * The ports a negotiation needs from the shell. Dialogs receive them in their constructors, so the
 * same dialogs run against demo data in tests and the simulator, and against Redis, an issuer's
 * account API and a real agent desk in production.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { AccountService } from '../conversation/accounts.js';
import type { AnswerSeal } from '../conversation/verificationAnswers.js';
import type { CaseFile } from '../conversation/case.js';
import type { Policy } from '../policy/index.js';
import type { Clock } from '../conversation/clock.js';
import type { HandoffDesk } from '../conversation/handoff.js';
import type { Auditor } from '../conversation/audit.js';
import type { ArrangementRepository } from '../conversation/arrangement.js';
import type { LifecyclePort } from '../conversation/lifecycle.js';

export interface CaseServices {
  caseState: StatePropertyAccessor<CaseFile>;
  accounts: AccountService;
  /** Keeps the first verification answer unreadable in state until the second arrives. */
  answers: AnswerSeal;
  policy(id: string): Policy;
  arrangements: ArrangementRepository;
  desk: HandoffDesk;
  audit: Auditor;
  clock: Clock;
  /** The account the channel vouches this conversation is about (a signed-in session), if any. */
  claimedAccount(context: TurnContext): string | null;
  settings: { defaultPolicyId: string; maxVerificationAttempts: number };
  /** After the agreement: the cardholder's current arrangement and waiting messages; absent = not wired (tests of other parts). */
  lifecycle?: LifecyclePort;
}
