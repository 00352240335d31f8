/**
 * The simulated cardholder's side of a conversation: reads what the bot said in one turn (its
 * messages, recognised against the bot's own catalogs, and its structured events) and decides the
 * next thing to say — or to say nothing more. Pure: the same persona, memory and bot turn always
 * give the same reply.
 */
import type { Activity } from 'botbuilder';
import { catalogs } from '../conversation/messages/index.js';
import { Language } from '../conversation/language.js';
import type { Offer } from '../policy/index.js';
import { chineseAmount } from './chineseNumbers.js';
import type { Persona } from './personas.js';
import { fill, PHRASEBOOKS, type Phrasebook } from './utterances.js';

/** The bot prompts a cardholder reacts to, by catalog key. Order matters: later keys in a turn win. */
const PROMPTS = [
  'verification.ask_last4',
  'verification.bad_last4',
  'verification.noted_story',
  'verification.mismatch',
  'verification.ask_dob',
  'verification.bad_dob',
  'intake.ask_hardship_reason',
  'intake.reask_hardship_reason',
  'intake.ask_income',
  'intake.reask_income',
  'intake.ask_expenses',
  'intake.reask_expenses',
  'readback.confirm',
  'negotiation.hint',
  'agreement.restate',
  'promise.noted',
  'promise.noted_date',
  'promise.noted_amount_date',
  'closed.arrangement',
  'closed.default',
  'flow.already_paid',
  'flow.busy_later',
  'checkin.self_harm',
  'checkin.bereavement',
  'checkin.dispute',
  'checkin.third_party',
  'checkin.legal_representation',
] as const;
type Prompt = (typeof PROMPTS)[number];

/** What the fixed part of each prompt looks like in every language (text before the first placeholder). */
const PROMPT_PREFIXES: [Prompt, string][] = PROMPTS.flatMap((key) =>
  Language.options.map((lang): [Prompt, string] => [key, (catalogs[lang][key] ?? '').split('{')[0]!.trim()]),
).filter(([, prefix]) => prefix.length > 0);

/** A safety check-in the bot asked ("are you writing about someone else's account?"). */
export const isCheckIn = (prompt: Prompt | null): boolean => prompt?.startsWith('checkin.') ?? false;

export function recognise(text: string): Prompt | null {
  const lines = text.split('\n').map((l) => l.trim());
  for (const [key, prefix] of PROMPT_PREFIXES) if (lines.some((l) => l.startsWith(prefix))) return key;
  return null;
}

/** What the bot did in one turn, as the cardholder perceives it. */
export interface BotTurn {
  prompt: Prompt | null;
  offer: Offer | null;
  handoff: boolean;
  agreement: boolean;
}

export function readTurn(activities: Partial<Activity>[]): BotTurn {
  let prompt: Prompt | null = null;
  let offer: Offer | null = null;
  let handoff = false;
  let agreement = false;
  for (const a of activities) {
    if (a.type === 'message' && a.text) prompt = recognise(a.text) ?? prompt;
    if (a.type !== 'event') continue;
    if (a.name === 'offer') offer = (a.value as { offer: Offer }).offer;
    if (a.name === 'handoff') handoff = true;
    if (a.name === 'agreement') agreement = true;
  }
  return { prompt, offer, handoff, agreement };
}

export interface Memory {
  /** Messages the cardholder has sent. */
  said: number;
  offersSeen: number;
  haggles: number;
  currentOffer: Offer | null;
  /** The persona's special move (vulnerability, asking for a person, injection) has been made. */
  played: boolean;
  /** Bot turns in a row the cardholder could not make sense of. */
  puzzled: number;
}

export const freshMemory = (): Memory => ({ said: 0, offersSeen: 0, haggles: 0, currentOffer: null, played: false, puzzled: 0 });

export type Ending = 'silent' | 'gave_up' | 'closed' | 'confused';
export type Reply = { say: string; memory: Memory } | { end: Ending; memory: Memory };

/** Whether this persona can really pay the offer (what it would accept after thinking it over). */
export function canPay(persona: Persona, offer: Offer): boolean {
  return offer.settlement
    ? offer.settlement.amountMinor <= persona.maxLumpSumMinor
    : offer.largestPaymentMinor <= persona.maxMonthlyPaymentMinor;
}

/** Whether the persona takes an offer put to it once, with no negotiation (the baselines' question). */
export function wouldTake(persona: Persona, offer: Offer): boolean {
  return persona.behaviour.kind === 'accepts_first' || canPay(persona, offer);
}

/** An amount written the way this persona writes it. */
export function amountText(persona: Persona, minor: number): string {
  const major = Math.floor(minor / 100);
  if (persona.account.currency !== 'USD') {
    return persona.chineseNumerals ? chineseAmount(major, persona.language === 'zh-TW') : String(major);
  }
  return persona.phraseSeed % 2 === 0 ? `$${major.toLocaleString('en-US')}` : String(major);
}

/** The start of what someone types, rounded down to a step people say (100 元, 10 dollars). */
const spoken = (persona: Persona, minor: number) => {
  const step = persona.account.currency === 'USD' ? 1_000 : 10_000;
  return Math.floor(minor / step) * step;
};

export function reply(persona: Persona, memory: Memory, turn: BotTurn): Reply {
  const book: Phrasebook = PHRASEBOOKS[persona.language];
  const b = persona.behaviour;
  let m: Memory = { ...memory, puzzled: 0 };
  const pick = (phrases: string[], vars?: Record<string, string | number>) =>
    fill(phrases[(persona.phraseSeed + m.said * 7) % phrases.length]!, vars);
  const say = (text: string): Reply => ({ say: text, memory: { ...m, said: m.said + 1 } });
  const end = (ending: Ending): Reply => ({ end: ending, memory: m });
  const special = (): string | null => {
    if (m.played) return null;
    if (b.kind === 'vulnerable') return pick(book.vulnerable[b.vulnerability]);
    if (b.kind === 'asks_person') return pick(book.human);
    return null;
  };
  const play = (at: 'opener' | 'intake' | 'offer'): Reply | null => {
    if ((b.kind === 'vulnerable' || b.kind === 'asks_person') && b.at === at) {
      const text = special();
      if (text) {
        m = { ...m, played: true };
        return say(text);
      }
    }
    return null;
  };

  if (turn.offer) m = { ...m, currentOffer: turn.offer, offersSeen: m.offersSeen + 1 };

  // The first thing a cardholder says is why they are here, whatever the bot asked.
  if (m.said === 0) return play('opener') ?? say(pick(book.opener));

  if (turn.offer || turn.prompt === 'negotiation.hint') {
    const offer = m.currentOffer;
    if (!offer) return end('confused');
    if (b.kind === 'goes_silent' && b.at === 'offer') return end('silent');
    const played = play('offer');
    if (played) return played;
    if (b.kind === 'prompt_injection' && !m.played) {
      m = { ...m, played: true };
      return say(pick(book.injection[b.injection]));
    }
    if (b.kind === 'accepts_first') return say(pick(book.accept));
    if (b.kind === 'haggles' && m.haggles < 2 && (m.haggles === 0 || !canPay(persona, offer))) {
      const amount = spoken(persona, persona.maxMonthlyPaymentMinor);
      m = { ...m, haggles: m.haggles + 1 };
      if (b.by === 'months') return say(pick(book.haggle_months, { months: b.months }));
      if (amount > 0) return say(pick(book.haggle_amount, { amount: amountText(persona, amount) }));
    }
    if (canPay(persona, offer)) return say(pick(book.accept));
    if (m.offersSeen >= persona.patience) return end('gave_up');
    return say(pick(book.decline));
  }

  switch (turn.prompt) {
    case 'verification.ask_last4':
    case 'verification.bad_last4':
    case 'verification.noted_story':
    case 'verification.mismatch':
      if (b.kind === 'goes_silent' && b.at === 'verification') return end('silent');
      return say(pick(book.last4, { last4: persona.account.last4 }));
    case 'verification.ask_dob':
    case 'verification.bad_dob':
      return say(pick(book.dob, { dob: persona.account.dateOfBirth }));
    case 'intake.ask_hardship_reason':
    case 'intake.reask_hardship_reason':
    case 'intake.ask_income':
    case 'intake.reask_income':
    case 'intake.ask_expenses':
    case 'intake.reask_expenses': {
      if (b.kind === 'goes_silent' && b.at === 'intake') return end('silent');
      const played = play('intake');
      if (played) return played;
      if (turn.prompt.endsWith('hardship_reason')) return say(pick(book.reason[persona.stated.hardshipReason]));
      if (turn.prompt.endsWith('income')) {
        const income = persona.stated.monthlyIncomeMinor;
        return say(income === 0 ? pick(book.income_none) : pick(book.income, { amount: amountText(persona, income) }));
      }
      return say(pick(book.expenses, { amount: amountText(persona, persona.stated.essentialExpensesMinor) }));
    }
    case 'readback.confirm':
      // The bot read back what this persona said; it is what they meant.
      return say(pick(book.accept));
    case 'agreement.restate':
      return say(pick(book.consent));
    case 'checkin.self_harm':
    case 'checkin.bereavement':
    case 'checkin.dispute':
    case 'checkin.third_party':
    case 'checkin.legal_representation': {
      // The truthful answer: yes only from someone whose vulnerability it is about and who has said so.
      const about = turn.prompt.slice('checkin.'.length);
      return say(pick(b.kind === 'vulnerable' && m.played && b.vulnerability === about ? book.yes : book.no));
    }
    case null:
      m = { ...memory, puzzled: memory.puzzled + 1 };
      return m.puzzled >= 2 ? end('confused') : say(pick(book.opener));
    default:
      // A promise noted, an arrangement or a case closed: the bot has nothing more to ask.
      return end('closed');
  }
}
