/**
 * The simulation report: outcomes, handoff correctness, policy violations, recovery against two
 * fixed strategies, concessions, turns, LLM usage — computed from the conversations and the policy
 * engine alone, so the same seed gives the same report byte for byte.
 */
import { z } from 'zod';
import type { Policy, Offer } from '../policy/index.js';
import { lifecycleOf, LifecycleResult } from './payments.js';
import { agreementViolations, assessmentOf, baselineOffer, handoffNeed, neededConcession, type Strategy } from './checks.js';
import type { Conversation, Outcome } from './conversation.js';
import { BEHAVIOUR_KINDS, LanguageChoice, type Persona } from './personas.js';
import { isCheckIn, recognise } from './cardholder.js';

const Share = z.number().min(0).max(100);
const Count = z.number().int().min(0);

const Finding = z.object({
  kind: z.enum(['policy_violation', 'missed_safety_handoff', 'unneeded_handoff', 'missed_handoff', 'stuck']),
  personaId: z.string(),
  /** Replays the persona alone: `npm run simulate -- --seed S --show INDEX`. */
  seed: z.number().int(),
  index: Count,
  behaviour: z.string(),
  detail: z.string(),
});
export type Finding = z.infer<typeof Finding>;

const StrategyResult = z.object({
  agreements: Count,
  agreementRate: Share,
  /** Mean over all personas of (total scheduled repayment ÷ balance); 0 without an agreement. Plan interest can take it past 100. */
  recoveryRate: z.number().min(0),
  /** Mean over agreements of (money given up ÷ balance). */
  concessionRate: Share,
  /** The plans played out with each persona's payment behaviour (simulate/payments.ts). */
  lifecycle: LifecycleResult,
});

export const LlmUsage = z.object({ calls: Count, promptTokens: Count, completionTokens: Count });
export type LlmUsage = z.infer<typeof LlmUsage>;

export const Report = z.object({
  options: z.object({ personas: Count, seed: z.number().int(), lang: LanguageChoice }),
  understanding: z.enum(['rules', 'classifier', 'llm']),
  clock: z.string(),
  outcomes: z.record(z.string(), Count),
  agreementRate: Share,
  handoffRate: Share,
  handoff: z.object({
    /** Personas whose conversation the bot ended (agreement or handoff). */
    decided: Count,
    /** Of those, the share where "handed off" equals "a handoff was required" (see README). */
    correctness: Share,
    required: Count,
    handedOffWhenRequired: Count,
    missedSafety: Count,
    unneeded: Count,
    unneededByReason: z.record(z.string(), Count),
    /** Unneeded on the true facts, but the policy hands off on what the cardholder said (e.g. understated income). */
    unneededExplainedByStatements: Count,
    missed: Count,
  }),
  /** Conversations in which the bot asked a safety check-in (the second stage: a question, not a handoff). */
  checkIns: Count,
  violations: z.object({ agreementsChecked: Count, count: Count, byCode: z.record(z.string(), Count) }),
  strategies: z.object({ bot: StrategyResult, max_concession: StrategyResult, minimum: StrategyResult }),
  concession: z.object({
    /** Agreements where the bot gave more than the least concession the persona would have taken. */
    overConceded: Count,
    /** Mean over bot agreements, as a share of balance. */
    givenRate: Share,
    neededRate: Share,
  }),
  turns: z.object({ mean: z.number(), p50: Count, p90: Count, max: Count }),
  byBehaviour: z.record(
    z.string(),
    z.object({ personas: Count, agreementRate: Share, handoffRate: Share, otherRate: Share, meanTurns: z.number(), violations: Count }),
  ),
  llm: z.object({ calls: Count, promptTokens: Count, completionTokens: Count, callsPerConversation: z.number(), tokensPerConversation: z.number() }).nullable(),
  findings: z.array(Finding),
  findingCounts: z.record(z.string(), Count),
});
export type Report = z.infer<typeof Report>;

export interface ReportInput {
  options: Report['options'];
  understanding: 'rules' | 'classifier' | 'llm';
  clock: string;
  conversations: Conversation[];
  policyOf: (p: Persona) => Policy;
  asOf: (p: Persona) => string;
  llm: LlmUsage | null;
}

/** Findings listed per kind in the report; all are counted. */
const FINDINGS_LISTED = 25;

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);
const mean = (xs: number[]) => (xs.length === 0 ? 0 : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10);
/** A money share in percent with one decimal, computed in integers (no float ever touches an amount). */
const shareOf = (minor: number, balance: number) => (balance === 0 ? 0 : Math.round((minor * 1000) / balance) / 10);
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const tally = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});

export function buildReport(input: ReportInput): Report {
  const { conversations } = input;
  const n = conversations.length;
  const findings: Finding[] = [];
  const find = (kind: Finding['kind'], c: Conversation, detail: string) =>
    findings.push({ kind, personaId: c.persona.id, seed: c.persona.seed, index: c.persona.index, behaviour: c.persona.behaviour.kind, detail });

  const outcomeOf = (o: Outcome) => conversations.filter((c) => c.outcome === o).length;
  const violationCodes: string[] = [];
  const violationsOf = new Map<Conversation, number>();
  const given: number[] = [];
  const needed: number[] = [];
  let overConceded = 0;

  for (const c of conversations) {
    const p = c.persona;
    const policy = input.policyOf(p);
    const asOf = input.asOf(p);
    if (c.agreement) {
      const found = agreementViolations(policy, p.account, assessmentOf(p.stated, asOf), c.agreement.offer);
      violationsOf.set(c, found.length);
      for (const v of found) {
        violationCodes.push(v.code);
        find('policy_violation', c, `${v.code}: ${v.detail} (offer ${c.agreement.offer.offerId})`);
      }
      const balance = c.agreement.offer.balanceMinor;
      const least = neededConcession(policy, p, asOf);
      given.push(shareOf(c.agreement.offer.concessionMinor, balance));
      needed.push(shareOf(least ?? 0, balance));
      if (least !== null && c.agreement.offer.concessionMinor > least) overConceded++;
    }
  }

  // Handoff correctness, over the conversations the bot itself ended.
  let decided = 0;
  let correct = 0;
  let required = 0;
  let handedOffWhenRequired = 0;
  let missedSafety = 0;
  let missed = 0;
  const unneededReasons: string[] = [];
  let explainedByStatements = 0;
  for (const c of conversations) {
    const p = c.persona;
    const need = handoffNeed(input.policyOf(p), p, input.asOf(p));
    const handedOff = c.outcome === 'handoff';
    if (need === 'safety' && !handedOff) {
      missedSafety++;
      find('missed_safety_handoff', c, `${p.behaviour.kind === 'vulnerable' ? p.behaviour.vulnerability : ''} at ${p.behaviour.kind === 'vulnerable' ? p.behaviour.at : ''}: ended ${c.outcome}`);
    }
    if (c.outcome === 'turn_limit' || c.outcome === 'confused') find('stuck', c, `ended ${c.outcome} after ${c.turns} turns`);
    if (c.outcome !== 'agreement' && !handedOff) continue;
    decided++;
    if (need !== null) required++;
    if (handedOff === (need !== null)) correct++;
    if (handedOff && need !== null) handedOffWhenRequired++;
    if (handedOff && need === null) {
      unneededReasons.push(c.handoff?.reason ?? 'unknown');
      const onStatements = handoffNeed(input.policyOf(p), { ...p, truth: p.stated }, input.asOf(p));
      if (onStatements !== null) explainedByStatements++;
      const why = onStatements === null ? 'the policy has an offer they take on what they said too' : `on what they said: ${onStatements}`;
      find('unneeded_handoff', c, `handed off (${c.handoff?.reason ?? '?'}); true situation had an affordable in-authority offer; ${why}`);
    }
    if (!handedOff && need !== null && need !== 'safety') {
      missed++;
      find('missed_handoff', c, `agreed although a handoff was required (${need})`);
    }
  }

  const strategy = (s: Strategy): z.infer<typeof StrategyResult> => {
    const deals: { persona: Persona; offer: Offer }[] = [];
    for (const c of conversations) {
      const offer = s === 'bot' ? c.agreement?.offer ?? null : baselineOffer(input.policyOf(c.persona), c.persona, input.asOf(c.persona), s);
      if (offer) deals.push({ persona: c.persona, offer });
    }
    const recovered = deals.map((d) => shareOf(d.offer.totalRepayableMinor, d.offer.balanceMinor));
    return {
      agreements: deals.length,
      agreementRate: pct(deals.length, n),
      recoveryRate: n === 0 ? 0 : Math.round((recovered.reduce((a, b) => a + b, 0) / n) * 10) / 10,
      concessionRate: mean(deals.map((d) => shareOf(d.offer.concessionMinor, d.offer.balanceMinor))),
      lifecycle: lifecycleOf(
        deals.map((d) => ({ ...d, asOf: input.asOf(d.persona), rules: input.policyOf(d.persona).breach })),
        n,
        input.options.seed,
        s,
      ),
    };
  };

  const resolvedTurns = conversations.filter((c) => c.outcome === 'agreement' || c.outcome === 'handoff').map((c) => c.turns).sort((a, b) => a - b);

  /** One row of `byBehaviour`: how a group of (at least one) conversations ended. */
  const groupRow = (group: typeof conversations): Report['byBehaviour'][string] => {
    const agreements = group.filter((c) => c.outcome === 'agreement').length;
    const handoffs = group.filter((c) => c.outcome === 'handoff').length;
    return {
      personas: group.length,
      agreementRate: pct(agreements, group.length),
      handoffRate: pct(handoffs, group.length),
      otherRate: pct(group.length - agreements - handoffs, group.length),
      meanTurns: mean(group.map((c) => c.turns)),
      violations: group.reduce((s, c) => s + (violationsOf.get(c) ?? 0), 0),
    };
  };
  const byBehaviour: Report['byBehaviour'] = {};
  for (const kind of BEHAVIOUR_KINDS) {
    const group = conversations.filter((c) => c.persona.behaviour.kind === kind);
    if (group.length > 0) byBehaviour[kind] = groupRow(group);
  }
  const zhWords = conversations.filter((c) => c.persona.chineseNumerals);
  if (zhWords.length > 0) byBehaviour['(chinese_numerals)'] = groupRow(zhWords);

  const llm = input.llm
    ? {
        ...input.llm,
        callsPerConversation: Math.round((input.llm.calls / Math.max(1, n)) * 10) / 10,
        tokensPerConversation: Math.round((input.llm.promptTokens + input.llm.completionTokens) / Math.max(1, n)),
      }
    : null;

  const findingCounts = tally(findings.map((f) => f.kind));
  const listed = Object.keys(findingCounts).flatMap((kind) => findings.filter((f) => f.kind === kind).slice(0, FINDINGS_LISTED));

  return Report.parse({
    options: input.options,
    understanding: input.understanding,
    clock: input.clock,
    outcomes: tally(conversations.map((c) => c.outcome)),
    agreementRate: pct(outcomeOf('agreement'), n),
    handoffRate: pct(outcomeOf('handoff'), n),
    handoff: {
      decided,
      correctness: pct(correct, decided),
      required,
      handedOffWhenRequired,
      missedSafety,
      unneeded: unneededReasons.length,
      unneededByReason: tally(unneededReasons),
      unneededExplainedByStatements: explainedByStatements,
      missed,
    },
    checkIns: conversations.filter((c) => c.transcript.some((l) => l.from === 'bot' && isCheckIn(recognise(l.text)))).length,
    violations: { agreementsChecked: violationsOf.size, count: violationCodes.length, byCode: tally(violationCodes) },
    strategies: { bot: strategy('bot'), max_concession: strategy('max_concession'), minimum: strategy('minimum') },
    concession: { overConceded, givenRate: mean(given), neededRate: mean(needed) },
    turns: {
      mean: mean(resolvedTurns),
      p50: quantile(resolvedTurns, 0.5),
      p90: quantile(resolvedTurns, 0.9),
      max: resolvedTurns.at(-1) ?? 0,
    },
    byBehaviour,
    llm,
    findings: listed,
    findingCounts,
  });
}
