/**
 * Understanding → commands (Rasa CALM's split). Whatever engine read the message, dialogs only
 * ever see this small, closed set of commands and execute them deterministically; nothing an
 * engine says can reach the policy except as a `propose` command, which the policy then judges.
 */
import type { HardshipReason, Proposal, Signal } from '../policy/index.js';
import { TextualSignal, type CheckInClass, type Intent, type UnderstandingResult } from '../conversation/understanding.js';

export type Question =
  | 'balance'
  | 'minimum'
  | 'interest_fees'
  | 'interest_method'
  | 'how_to_pay'
  | 'due_date'
  | 'if_bot'
  | 'credit_report'
  | 'documents'
  | 'agreement_copy'
  | 'changed_phone';

export type Command =
  | { kind: 'signal'; signal: Signal }
  /** The message may be about a safety class none was raised for: ask, gently, once. */
  | { kind: 'check_in'; about: CheckInClass }
  | { kind: 'set_reason'; reason: HardshipReason }
  | { kind: 'set_income'; amountMinor: number }
  | { kind: 'set_expenses'; amountMinor: number }
  | { kind: 'answer'; question: Question }
  | { kind: 'propose'; proposal: Proposal }
  | { kind: 'choose'; index: number }
  | { kind: 'affirm' }
  | { kind: 'deny' }
  | { kind: 'promise'; date: string | null; amountMinor: number | null; alternative: string | null }
  | { kind: 'already_paid' }
  | { kind: 'busy_later' }
  | { kind: 'start_over' }
  | { kind: 'stop_contact' }
  | { kind: 'cannot_pay' };

/**
 * Where each command is acted on — one table, checked by the compiler: a new kind does not compile
 * until it is placed here, and each layer's code accepts only the kinds placed with it.
 * - `facts`: written into the case file by the bot before any dialog runs (ForbearBot applyFacts);
 * - `bot`: acted on by the bot across the whole dialog stack (ForbearBot: start over);
 * - `interruption`: CaseDialog.interrupt, whatever step the conversation is at;
 * - `step`: the dialog step waiting for it (takeCommand).
 * A promise is both: noted as a fact, then acted on as an interruption.
 */
export type Layer = 'facts' | 'bot' | 'interruption' | 'step';
export const HANDLED_BY = {
  signal: ['interruption'],
  check_in: ['interruption'],
  set_reason: ['facts'],
  set_income: ['facts'],
  set_expenses: ['facts'],
  // Recorded as the pending request; the negotiation has the policy judge it when it is reached.
  propose: ['facts'],
  promise: ['facts', 'interruption'],
  answer: ['interruption'],
  stop_contact: ['interruption'],
  busy_later: ['interruption'],
  already_paid: ['interruption'],
  start_over: ['bot'],
  choose: ['step'],
  affirm: ['step'],
  deny: ['step'],
  cannot_pay: ['step'],
} as const satisfies Record<Command['kind'], readonly Layer[]>;

type Kind = Command['kind'];
export type KindFor<L extends Layer> = { [K in Kind]: L extends (typeof HANDLED_BY)[K][number] ? K : never }[Kind];
export type CommandFor<L extends Layer> = Extract<Command, { kind: KindFor<L> }>;

/** The commands of this turn that `layer` acts on, in the order understood. */
export function commandsFor<L extends Layer>(commands: readonly Command[], layer: L): CommandFor<L>[] {
  return commands.filter((c): c is CommandFor<L> => (HANDLED_BY[c.kind] as readonly Layer[]).includes(layer));
}

/** For the `default` of an exhaustive switch over commands: a kind left out does not compile. */
export function unhandled(command: never): never {
  throw new Error(`command ${(command as Command).kind} has no handler`);
}

const SIGNAL_OF_INTENT: Partial<Record<Intent, Signal[]>> = {
  dispute: ['dispute'],
  request_human: ['request_human'],
  complaint: ['complaint'],
  wrong_person: ['wrong_person'],
  third_party: ['third_party'],
  third_party_deceased: ['third_party', 'bereavement'],
};

const QUESTION_OF_INTENT: Partial<Record<Intent, Question>> = {
  ask_balance: 'balance',
  ask_minimum_payment: 'minimum',
  ask_interest_fees: 'interest_fees',
  ask_interest_method: 'interest_method',
  ask_credit_report: 'credit_report',
  ask_documents: 'documents',
  request_agreement_copy: 'agreement_copy',
  changed_phone: 'changed_phone',
  ask_how_to_pay: 'how_to_pay',
  ask_due_date: 'due_date',
  ask_if_bot: 'if_bot',
};

/** The cardholder's request, as the policy's Proposal; the policy alone decides what it is worth. */
function proposalOf(u: UnderstandingResult): Proposal | null {
  const e = u.entities;
  const proposal: Proposal = {};
  if (e.months !== null) proposal.months = e.months;
  if (e.amountMinor !== null && e.concession !== 'settlement') proposal.monthlyPaymentMinor = e.amountMinor;
  if (e.deferralDays !== null || e.concession === 'deferral') proposal.deferralDays = e.deferralDays ?? 30;
  if (e.concession === 'interest') proposal.interestWaiverBps = e.percentBps ?? 10_000;
  if (e.concession === 'fees') proposal.feeWaiverBps = e.percentBps ?? 10_000;
  if (e.concession === 'settlement') {
    if (e.amountMinor !== null) proposal.settlementAmountMinor = e.amountMinor;
    else proposal.settlementDiscountBps = e.percentBps ?? 10_000;
  }
  // "90% off" with no named concession is a settlement request.
  if (e.concession === null && e.percentBps !== null && e.amountMinor === null && e.months === null) {
    proposal.settlementDiscountBps = e.percentBps;
  }
  return Object.keys(proposal).length > 0 ? proposal : null;
}

export function toCommands(u: UnderstandingResult): Command[] {
  const commands: Command[] = [];
  // Prompt injection is audited with the understanding, never obeyed, so it is no command.
  for (const s of u.signals) {
    const signal = TextualSignal.safeParse(s);
    if (signal.success) commands.push({ kind: 'signal', signal: signal.data });
  }
  for (const s of SIGNAL_OF_INTENT[u.intent] ?? []) commands.push({ kind: 'signal', signal: s });
  if (u.checkIn) commands.push({ kind: 'check_in', about: u.checkIn });

  const e = u.entities;
  if (e.hardshipReason !== null) commands.push({ kind: 'set_reason', reason: e.hardshipReason });
  if (e.incomeMinor !== null) commands.push({ kind: 'set_income', amountMinor: e.incomeMinor });
  if (e.expensesMinor !== null) commands.push({ kind: 'set_expenses', amountMinor: e.expensesMinor });

  const question = QUESTION_OF_INTENT[u.intent];
  if (question) commands.push({ kind: 'answer', question });

  switch (u.intent) {
    case 'affirm':
      commands.push(e.optionIndex !== null ? { kind: 'choose', index: e.optionIndex } : { kind: 'affirm' });
      break;
    case 'deny':
      commands.push({ kind: 'deny' });
      break;
    case 'promise_to_pay':
      commands.push({ kind: 'promise', date: e.date, amountMinor: e.amountMinor, alternative: e.dateAlternative ?? null });
      break;
    case 'already_paid':
    case 'busy_later':
    case 'start_over':
    case 'stop_contact':
    case 'cannot_pay':
      commands.push({ kind: u.intent });
      break;
    case 'greeting':
    case 'thanks':
      // Nothing to act on: the conversation goes on (and the pending question stands).
      break;
    case 'request_installment':
    case 'request_reduction':
    case 'propose_payment': {
      const proposal = proposalOf(u);
      if (proposal) commands.push({ kind: 'propose', proposal });
      else if (u.intent !== 'propose_payment') commands.push({ kind: 'cannot_pay' });
      break;
    }
    default:
      if (e.optionIndex !== null) commands.push({ kind: 'choose', index: e.optionIndex });
  }
  return commands;
}
