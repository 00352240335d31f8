/**
 * The case file: everything one conversation has established, kept in Bot Framework
 * conversation state. The policy is computed from it afresh each time so a correction
 * ("不对，我月收入是6000") changes every later offer.
 *
 * Everyone outside this file reads it as readonly and changes it only through the named
 * transitions below (a field written anywhere else does not compile), so every way a case can move
 * is listed in one place. They change the file in place: it is the object Bot Framework's state
 * accessor saves at the end of the turn.
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
import { CheckInClass, Expecting } from './understanding.js';
import { Language } from './language.js';
import { DateStyle } from './messages/index.js';

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
    /** The last 4 digits given in this attempt, sealed (`AnswerSeal`: unreadable in state), kept only until the date of birth arrives. */
    sealedLast4: z.string().nullable(),
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
  /**
   * The other calendar date the promised day may mean ("next Friday" said on a Monday): the date is
   * read back and recorded only once the cardholder says which.
   */
  promiseAlternative: IsoDate.nullable().default(null),
  /**
   * A safety check-in awaiting its yes or no: what it asks about, and what the bot was waiting for
   * before it asked (restored when the reply comes).
   */
  checkIn: z.object({ about: CheckInClass, resume: Expecting }).nullable().default(null),
  /** The classes a check-in has asked about in this conversation: each is asked at most once. */
  checkedIn: z.array(CheckInClass).default([]),
  /** How the cardholder writes numeric dates (seen in their date of birth): English replies follow it. */
  dateStyle: DateStyle.default('iso'),
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
/** The shape as stored; writable only inside this file. */
type CaseData = z.infer<typeof CaseFile>;
type Verification = CaseData['verification'];
/** Read-only to everyone but the transitions below. */
export type CaseFile = Readonly<
  Omit<CaseData, 'verification' | 'asked' | 'signals' | 'recentTurns' | 'checkIn' | 'checkedIn'> & {
    checkIn: Readonly<NonNullable<CaseData['checkIn']>> | null;
    checkedIn: readonly CheckInClass[];
    verification: Readonly<Verification>;
    asked: Readonly<CaseData['asked']>;
    signals: readonly Signal[];
    recentTurns: readonly CaseData['recentTurns'][number][];
  }
>;

export function newCase(language: Language): CaseData {
  return {
    language,
    disclosed: false,
    expecting: 'none',
    verification: { verified: false, attempts: 0, lockedOut: false, sealedLast4: null },
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
    promiseAlternative: null,
    checkIn: null,
    checkedIn: [],
    dateStyle: 'iso',
    arrangementReference: null,
    authority: 'bot',
    handoff: null,
    closed: false,
    feedback: 'not_asked',
    recentTurns: [],
  };
}

export function assessmentOf(file: CaseFile, asOf: string): Assessment {
  return {
    asOf,
    hardshipReason: file.hardshipReason,
    monthlyIncomeMinor: file.monthlyIncomeMinor,
    essentialExpensesMinor: file.essentialExpensesMinor,
    expectedDurationMonths: file.expectedDurationMonths,
    signals: [...file.signals],
  };
}

const w = (file: CaseFile): CaseData => file as CaseData;

/** "Start over": forget the negotiation, keep who the cardholder is and how they speak. */
export function startOver(file: CaseFile): void {
  Object.assign(w(file), {
    ...newCase(file.language),
    disclosed: true,
    verification: file.verification,
    accountId: file.accountId,
    authority: file.authority,
    signals: file.signals,
    dateStyle: file.dateStyle,
    // A check-in is asked at most once per class in a conversation, restarted or not.
    checkedIn: [...file.checkedIn],
    // Never asked twice, and never of someone in crisis, however often the conversation restarts.
    feedback: file.feedback,
  } satisfies CaseFile);
}

/** A safety check-in is asked: the next message is read as its yes or no, and the class is never asked about again. */
export function askCheckIn(file: CaseFile, about: CheckInClass): void {
  Object.assign(w(file), {
    checkIn: { about, resume: file.expecting },
    checkedIn: [...file.checkedIn, about],
    expecting: 'check_in',
  } satisfies Partial<CaseData>);
}

/** The reply to a check-in has come: what it asked about; the bot waits again for what it waited for before. */
export function checkInAnswered(file: CaseFile): CheckInClass | null {
  const pending = file.checkIn;
  if (!pending) return null;
  Object.assign(w(file), { checkIn: null, expecting: pending.resume } satisfies Partial<CaseData>);
  return pending.about;
}

/** What the next cardholder message is read as an answer to. */
export function expect(file: CaseFile, expecting: Expecting): void {
  w(file).expecting = expecting;
}

export function speakLanguage(file: CaseFile, language: Language): void {
  w(file).language = language;
}

/** The last `keep` turns, for understanding to resolve "yes" or "the second one". */
export function rememberTurn(file: CaseFile, role: 'cardholder' | 'bot', text: string, keep: number): void {
  w(file).recentTurns = [...file.recentTurns, { role, text }].slice(-keep);
}

/** What the cardholder stated, whatever step the conversation is at. */
export type StatedFacts = Partial<
  Pick<CaseData, 'hardshipReason' | 'monthlyIncomeMinor' | 'essentialExpensesMinor' | 'figuresToConfirm' | 'pendingProposal' | 'promise' | 'promiseAlternative'>
>;
export function noteFacts(file: CaseFile, facts: StatedFacts): void {
  Object.assign(w(file), facts);
}

/** New signals join the ones already seen (each once). */
export function addSignals(file: CaseFile, signals: readonly Signal[]): void {
  w(file).signals = [...new Set<Signal>([...file.signals, ...signals])];
}

export function disclose(file: CaseFile): void {
  w(file).disclosed = true;
}

/** Counts one more asking of an intake question (or a one-off notice); returns how often it was asked before. */
export function countAsked(file: CaseFile, question: string): number {
  const before = file.asked[question] ?? 0;
  w(file).asked[question] = before + 1;
  return before;
}

/** A reason the cardholder would not give is still a hardship request; the policy decides whether "other" is enough. */
export function defaultReason(file: CaseFile): void {
  w(file).hardshipReason ??= 'other';
}

/** The cardholder agreed to the figures read back to them; a later correction is read back afresh. */
export function confirmFigures(file: CaseFile): void {
  w(file).figuresToConfirm = false;
  w(file).asked['figures'] = 0;
}

/** Figures never confirmed are not used: affordability stays unknown, so nothing is offered. */
export function dropUnconfirmedFigures(file: CaseFile): void {
  Object.assign(w(file), { monthlyIncomeMinor: null, essentialExpensesMinor: null, figuresToConfirm: false } satisfies Partial<CaseData>);
}

/** Corrected figures: the offer on the table goes, and (after the read-back) the ladder starts again. */
export function reassess(file: CaseFile): void {
  Object.assign(w(file), { ladderIndex: 0, pendingOffer: null } satisfies Partial<CaseData>);
}

/** The promised date as the cardholder confirmed or named it, with its other reading if it has one. */
export function promiseDate(file: CaseFile, date: string | null, alternative: string | null): void {
  if (file.promise) w(file).promise = { ...file.promise, date };
  w(file).promiseAlternative = alternative;
}

/** The order the cardholder writes numeric dates in, for the bot's English dates. */
export function writesDates(file: CaseFile, style: CaseData['dateStyle']): void {
  w(file).dateStyle = style;
}

/** The read-back figures were wrong: both are asked again (each question still counted). */
export function forgetFigures(file: CaseFile): void {
  Object.assign(w(file), { monthlyIncomeMinor: null, essentialExpensesMinor: null, figuresToConfirm: false });
  w(file).asked['figures'] = 0;
}

/** The last four digits, sealed, held only until the date of birth arrives. */
export function holdLast4(file: CaseFile, sealed: string | null): void {
  w(file).verification.sealedLast4 = sealed;
}

/** The held (sealed) last four digits, forgotten as they are taken. */
export function takeLast4(file: CaseFile): string | null {
  const sealed = file.verification.sealedLast4;
  w(file).verification.sealedLast4 = null;
  return sealed;
}

export function verified(file: CaseFile, accountId: string): void {
  w(file).verification.verified = true;
  w(file).accountId = accountId;
}

/** One more failed verification; returns the failures so far. */
export function failedVerification(file: CaseFile): number {
  return (w(file).verification.attempts += 1);
}

export function lockOut(file: CaseFile): void {
  w(file).verification.lockedOut = true;
}

/** The cardholder's request, taken for the policy to judge (and cleared so it is judged once). */
export function takeProposal(file: CaseFile): Proposal | null {
  const proposal = file.pendingProposal;
  w(file).pendingProposal = null;
  return proposal;
}

/** The request the policy just countered (null: it did not counter). */
export function countered(file: CaseFile, proposal: Proposal | null): void {
  w(file).counteredProposal = proposal;
}

/** The bot's offer on the table (null: none). */
export function tableOffer(file: CaseFile, offer: Offer | null): void {
  w(file).pendingOffer = offer;
}

/** A person's approved terms on the table, for the cardholder's consent in their channel. */
export function tablePersonsTerms(file: CaseFile, offer: Offer, by: { role: AuthorityLevel; id: string }): void {
  Object.assign(w(file), { pendingOffer: offer, offeredBy: by, expecting: 'consent' } satisfies Partial<CaseData>);
}

/** The cardholder declined the terms on the table. */
export function withdrawOffer(file: CaseFile): void {
  Object.assign(w(file), { pendingOffer: null, offeredBy: null, expecting: 'none' } satisfies Partial<CaseData>);
}

/** One rung down the ladder: the next offer. */
export function nextRung(file: CaseFile): void {
  w(file).ladderIndex += 1;
}

/** One more negotiation round without agreement; returns the rounds so far. */
export function countRound(file: CaseFile): number {
  return (w(file).negotiationRounds += 1);
}

export function handedOff(file: CaseFile, handoff: Handoff): void {
  Object.assign(w(file), { handoff, expecting: 'none' } satisfies Partial<CaseData>);
}

/**
 * Back to the negotiation after a handoff, at the authority a person granted (or the bot's own):
 * a person (or the cardholder's own choice) has dealt with what triggered the handoff, and the
 * ladder starts again from the least concession at that level.
 */
export function returnToBot(file: CaseFile, authority: AuthorityLevel): void {
  Object.assign(w(file), {
    handoff: null,
    closed: false,
    authority,
    signals: [],
    ladderIndex: 0,
    pendingOffer: null,
    offeredBy: null,
    negotiationRounds: 0,
  } satisfies Partial<CaseData>);
}

/** The cardholder consented: the arrangement stands and the conversation is over. */
export function concluded(file: CaseFile, arrangementReference: string): void {
  Object.assign(w(file), {
    arrangementReference,
    pendingOffer: null,
    offeredBy: null,
    expecting: 'none',
    closed: true,
    handoff: null,
  } satisfies Partial<CaseData>);
}

/** The conversation ends without an arrangement (already paid, or a person closed the case). */
export function close(file: CaseFile): void {
  Object.assign(w(file), { closed: true, expecting: 'none' } satisfies Partial<CaseData>);
}

/** A person closed the case they had. */
export function closedByPerson(file: CaseFile): void {
  Object.assign(w(file), { closed: true, handoff: null, expecting: 'none', pendingOffer: null, offeredBy: null } satisfies Partial<CaseData>);
}

/** The promise to pay was noted: the conversation closes. */
export function promiseNoted(file: CaseFile): void {
  Object.assign(w(file), { promise: null, promiseAlternative: null, expecting: 'none', closed: true } satisfies Partial<CaseData>);
}

export function setFeedback(file: CaseFile, feedback: CaseData['feedback']): void {
  w(file).feedback = feedback;
}
