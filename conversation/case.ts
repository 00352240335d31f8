/**
 * The case file: everything one conversation has established, kept in Bot Framework
 * conversation state. It is data only; dialogs read and update it, the policy is computed from it
 * afresh each time so a correction ("不对，我月收入是6000") changes every later offer.
 */
import { z } from 'zod';
import {
  AuthorityLevel,
  HardshipReason,
  Handoff,
  IsoDate,
  Offer,
  Proposal,
  Signal,
  type Assessment,
} from '../policy/index.js';
import { Expecting } from './understanding.js';
import { Language } from './language.js';

export const PromiseToPay = z.object({
  date: IsoDate.nullable(),
  amountMinor: z.number().int().nullable(),
});

export const CaseFile = z.object({
  language: Language,
  disclosed: z.boolean(),
  expecting: Expecting,
  verification: z.object({
    verified: z.boolean(),
    attempts: z.number().int().min(0),
    lockedOut: z.boolean(),
    /** The last 4 digits given in this attempt, kept only until the date of birth arrives. */
    pendingLast4: z.string().nullable(),
  }),
  /** Set once verified; nothing about the debt is said before. */
  accountId: z.string().nullable(),
  hardshipReason: HardshipReason.nullable(),
  monthlyIncomeMinor: z.number().int().nullable(),
  essentialExpensesMinor: z.number().int().nullable(),
  /** Income or expenses came from a misreadable form ("4k8", "五六百") or were corrected: read them back first. */
  figuresToConfirm: z.boolean().default(false),
  expectedDurationMonths: z.number().int().nullable(),
  signals: z.array(Signal),
  /** How often each intake question has been asked, so the bot never loops forever. */
  asked: z.record(z.string(), z.number().int()),
  /** The ladder position the cardholder has seen so far (index into the policy's offers). */
  ladderIndex: z.number().int().min(0),
  /** A request the cardholder made (possibly before the offers were shown), for the policy to judge. */
  pendingProposal: Proposal.nullable(),
  /** The last request the policy countered: asking for it again is insisting, and goes to a person. */
  counteredProposal: Proposal.nullable(),
  /** The offer on the table, awaiting consent. */
  pendingOffer: Offer.nullable(),
  /** The person whose approved terms are on the table (null: the bot's own offer). Consent is still the cardholder's. */
  offeredBy: z.object({ role: AuthorityLevel, id: z.string() }).nullable().default(null),
  negotiationRounds: z.number().int().min(0),
  promise: PromiseToPay.nullable(),
  arrangementReference: z.string().nullable(),
  /** Raised by an agent handing the conversation back with new bounds. */
  authority: AuthorityLevel,
  handoff: Handoff.nullable(),
  closed: z.boolean(),
  /**
   * The one optional feedback question at the end: not asked yet, waiting for the satisfaction tap
   * or the fairness tap, done (answered or passed over), or never (a crisis handoff, or not the cardholder).
   */
  feedback: z.enum(['not_asked', 'satisfaction', 'fair', 'done', 'never']),
  /** The last few turns, redacted, so understanding can resolve "yes" or "the second one". */
  recentTurns: z.array(z.object({ role: z.enum(['cardholder', 'bot']), text: z.string() })),
});
export type CaseFile = z.infer<typeof CaseFile>;

export function newCase(language: Language): CaseFile {
  return {
    language,
    disclosed: false,
    expecting: 'none',
    verification: { verified: false, attempts: 0, lockedOut: false, pendingLast4: null },
    accountId: null,
    hardshipReason: null,
    monthlyIncomeMinor: null,
    essentialExpensesMinor: null,
    figuresToConfirm: false,
    expectedDurationMonths: null,
    signals: [],
    asked: {},
    ladderIndex: 0,
    pendingProposal: null,
    counteredProposal: null,
    pendingOffer: null,
    offeredBy: null,
    negotiationRounds: 0,
    promise: null,
    arrangementReference: null,
    authority: 'bot',
    handoff: null,
    closed: false,
    feedback: 'not_asked',
    recentTurns: [],
  };
}

/** "Start over": forget the negotiation, keep who the cardholder is and how they speak. */
export function restartCase(file: CaseFile): CaseFile {
  return {
    ...newCase(file.language),
    disclosed: true,
    verification: file.verification,
    accountId: file.accountId,
    authority: file.authority,
    signals: file.signals,
    // Never asked twice, and never of someone in crisis, however often the conversation restarts.
    feedback: file.feedback,
  };
}

export function assessmentOf(file: CaseFile, asOf: string): Assessment {
  return {
    asOf,
    hardshipReason: file.hardshipReason,
    monthlyIncomeMinor: file.monthlyIncomeMinor,
    essentialExpensesMinor: file.essentialExpensesMinor,
    expectedDurationMonths: file.expectedDurationMonths,
    signals: file.signals,
  };
}
