/**
 * Automatic compliance flags over a transcript, as pure functions of its records: amounts the
 * policy never produced, forbidden phrases, contact outside allowed hours, and anything about the
 * debt said before the cardholder was verified. The caller appends each new flag as a `flag`
 * decision, which puts it in the conversation summary the console searches.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compiledYaml, yaml } from '../../policy/index.js';
import { ContactRules, withinAllowedHours } from '../contact/gate.js';
import type { FlagDecision, FlagKind, TranscriptRecord } from './schema.js';

export type RaisedFlag = Omit<z.infer<typeof FlagDecision>, 'type'>;

export const ForbiddenPhrases = z.object({
  zh: z.record(z.string(), z.array(z.string().min(1))),
  en: z.record(z.string(), z.array(z.string().min(1))),
});
export type ForbiddenPhrases = z.infer<typeof ForbiddenPhrases>;

export function loadForbiddenPhrases(url: URL = new URL('./forbidden-phrases.yaml', import.meta.url)): ForbiddenPhrases {
  const text = readFileSync(url, 'utf8');
  return ForbiddenPhrases.parse(compiledYaml(url, text) ?? yaml().parse(text));
}

const FULLWIDTH = /[\uff01-\uff5e]/g;
/** Case, spacing and full-width forms are ways to slip past a list, so all are folded away. */
const halfWidth = (s: string) => s.replace(FULLWIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
const fold = (s: string) => halfWidth(s).toLowerCase().replace(/\s+/g, ' ');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface CompiledPhrases {
  /** Chinese phrases as folded, space-free needles. */
  zh: { hit: string; needle: string }[];
  /** English phrases as whole-word patterns over folded text. */
  en: { hit: string; pattern: RegExp }[];
}

/** Folding and pattern building happen once per list, not once per message. */
const compiled = new WeakMap<ForbiddenPhrases, CompiledPhrases>();

function compile(phrases: ForbiddenPhrases): CompiledPhrases {
  let c = compiled.get(phrases);
  if (!c) {
    c = {
      zh: Object.entries(phrases.zh).flatMap(([category, list]) => list.map((p) => ({ hit: `${category}: ${p}`, needle: fold(p).replace(/ /g, '') }))),
      en: Object.entries(phrases.en).flatMap(([category, list]) => list.map((p) => ({ hit: `${category}: ${p}`, pattern: new RegExp(`\\b${escapeRegExp(fold(p))}\\b`) }))),
    };
    compiled.set(phrases, c);
  }
  return c;
}

/** Phrases found in a text as "category: phrase"; English matches whole words ("closer" is not "loser"). */
export function forbiddenPhrasesIn(text: string, phrases: ForbiddenPhrases): string[] {
  const { zh, en } = compile(phrases);
  const folded = fold(text);
  const solid = folded.replace(/ /g, '');
  const hits: string[] = [];
  for (const p of zh) if (solid.includes(p.needle)) hits.push(p.hit);
  for (const p of en) if (p.pattern.test(folded)) hits.push(p.hit);
  return hits;
}

const NUMBER = String.raw`(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?`;
const MONEY_PATTERNS = [
  // formatMoney output in every catalog language: ¥1,500.00, CN¥…, US$…, NT$…, $…, -¥5.00
  new RegExp(String.raw`(?:[A-Z]{1,3})?[¥￥$€£]\s?${NUMBER}`, 'g'),
  new RegExp(String.raw`(?:RMB|CNY|USD|TWD|HKD)\s?${NUMBER}`, 'g'),
  new RegExp(String.raw`${NUMBER}\s?(?:元|块|美元|dollars?\b|(?:RMB|CNY|USD)\b)`, 'g'),
];

/** Every money amount written in a text, in minor units, read back from the zh and en formats. */
export function amountsIn(text: string): number[] {
  const found = new Map<number, number>();
  for (const pattern of MONEY_PATTERNS) {
    for (const m of halfWidth(text).matchAll(pattern)) {
      // Overlapping patterns ("¥1500元") would read the same figure twice; keyed by position.
      found.set(m.index + m[0].indexOf(m[1]!), Number(m[1]!.replace(/,/g, '')) * 100 + Number((m[2] ?? '').padEnd(2, '0')));
    }
  }
  return [...found.values()];
}

/**
 * Amounts the conversation's decisions vouch for: the named amounts recorded with policy
 * evaluations, offers shown and account facts, plus the cardholder's own figures.
 */
export function allowedAmounts(records: readonly TranscriptRecord[]): Set<number> {
  const allowed = new Set<number>();
  for (const r of records) {
    if (r.kind !== 'decision') continue;
    const p = r.payload;
    if (p.type === 'policy_evaluation' || p.type === 'offer_shown' || p.type === 'account_facts' || p.type === 'ledger') Object.values(p.amounts).forEach((a) => allowed.add(a));
    if (p.type === 'policy_evaluation') {
      for (const a of [p.proposal?.monthlyPaymentMinor, p.proposal?.settlementAmountMinor]) if (typeof a === 'number') allowed.add(a);
    }
    if (p.type === 'promise_to_pay' && p.amountMinor !== null) allowed.add(p.amountMinor);
    // Income and expenses as understood are read back to the cardholder before the policy uses them.
    if (p.type === 'understanding') {
      for (const a of [p.entities.incomeMinor, p.entities.expensesMinor]) if (typeof a === 'number') allowed.add(a);
    }
  }
  return allowed;
}

const ACCOUNT_DETAIL = /尾号\s?\d{4}|逾期\s?\d+\s?天|ending (?:in )?\d{4}|\d+ days? past due|\[CARD/i;

export interface FlagContext {
  phrases: ForbiddenPhrases;
  /** The policy's contact rules; contact attempts are judged in the timezone each attempt records. */
  contactRules: ContactRules;
}

/** What a conversation's earlier records established, so a turn's flags need only the turn's own records. */
export interface FlagMemory {
  verified: boolean;
  /** Amounts the earlier decisions vouch for. */
  allowed: ReadonlySet<number>;
}

export const FRESH_MEMORY: FlagMemory = { verified: false, allowed: new Set() };

/**
 * The flags raised by `records` — the newest records of a conversation, in order — given what the
 * records before them established, and the memory to carry into the next call. Amounts are judged
 * against every decision up to the end of `records`, as a reviewer reading the whole turn would.
 */
export function flagsAfter(memory: FlagMemory, records: readonly TranscriptRecord[], ctx: FlagContext): { flags: RaisedFlag[]; memory: FlagMemory } {
  const allowed = new Set([...memory.allowed, ...allowedAmounts(records)]);
  const flags: RaisedFlag[] = [];
  const raise = (flag: FlagKind, recordSeq: number, detail: string) => flags.push({ flag, recordSeq, detail });
  let verified = memory.verified;
  for (const r of records) {
    if (r.kind === 'decision') {
      const p = r.payload;
      if (p.type === 'verification' && p.result === 'success') verified = true;
      if (p.type === 'contact_attempt' && p.allowed && !withinAllowedHours(Date.parse(r.at), p.timezone, ctx.contactRules)) {
        raise('contact_outside_hours', r.seq, `${p.purpose} via ${p.channel} at ${r.at} (${p.timezone})`);
      }
      continue;
    }
    const text = r.payload.text;
    if (text === null || (r.actor !== 'bot' && r.actor !== 'agent')) continue;
    for (const hit of forbiddenPhrasesIn(text, ctx.phrases)) raise('forbidden_phrase', r.seq, `${r.actor}: ${hit}`);
    if (r.actor !== 'bot') continue;
    const amounts = amountsIn(text);
    for (const a of amounts.filter((a) => !allowed.has(a))) raise('amount_mismatch', r.seq, `amount ${a} (minor units) is not a policy output of this conversation`);
    if (!verified && (amounts.length > 0 || ACCOUNT_DETAIL.test(text))) raise('disclosure_before_verification', r.seq, 'amount or account detail before verification succeeded');
  }
  return { flags, memory: { verified, allowed } };
}

/** Every flag a whole transcript raises (the review console, tests, a re-check after a rule change). */
export function flagsFor(records: readonly TranscriptRecord[], ctx: FlagContext): RaisedFlag[] {
  return flagsAfter(FRESH_MEMORY, records, ctx).flags;
}
