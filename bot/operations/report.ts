/**
 * The outcome report behind `/ops`, `npm run report` and the simulator's comparison table. Pure:
 * stored transcript records in, figures out. One conversation becomes one row of facts
 * (`conversationFacts`); rows are grouped by bucket, language, channel, policy variant and week
 * (`buildReport`); each challenger is compared with its champion bucket by bucket
 * (`twoProportionTest`).
 *
 * Definitions (also in the README):
 * - a conversation counts when the cardholder wrote at least once; it is in the range by its start.
 * - agreement rate: conversations with an arrangement ÷ conversations.
 * - handoff rate (and by reason): conversations handed to a person (first handoff's reason) ÷ conversations.
 * - time to agreement: conversation start → arrangement recorded (median and mean, seconds).
 * - concessions: per arrangement, interest waived, fees waived and settlement discount ÷ balance;
 *   the figure is the mean over arrangements (basis points), so currencies never mix.
 * - kept / cure rate: of arrangements whose ledger has had something fall due, kept = on schedule
 *   or completed, cured = completed (paid in full); null when no arrangement has a ledger yet.
 * - feedback: questions asked, answers, mean satisfaction (1–5), share answering "fair: yes".
 */
import type { Ledger } from '../../policy/index.js';
import { variantLabel } from '../../conversation/variant.js';
import type { TranscriptRecord } from '../transcripts/schema.js';
import { twoProportionTest, type ProportionTest } from './stats.js';

export const DIMENSIONS = ['bucket', 'language', 'channel', 'variant', 'week'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Where an arrangement stands by its ledger; `pending`: nothing has fallen due yet. */
export type LedgerOutcome = 'on_schedule' | 'completed' | 'missed' | 'cancelled' | 'pending';

/** A superseded arrangement is judged by the one that replaced it, so it has no outcome of its own. */
export function ledgerOutcome(ledger: Ledger): LedgerOutcome | null {
  if (ledger.status === 'completed' || ledger.status === 'cancelled') return ledger.status;
  if (ledger.status === 'superseded') return null;
  if (ledger.instalments.some((i) => i.status === 'missed')) return 'missed';
  return ledger.instalments.some((i) => i.dueDate <= ledger.asOf) ? 'on_schedule' : 'pending';
}

export interface ConversationFacts {
  conversationId: string;
  startedAt: string;
  week: string;
  language: string;
  channel: string;
  /** The champion policy's bucket, or "unverified". */
  bucket: string;
  /** variantLabel ("champion default-cn@2026.2"), or "none" before an account is known. */
  variant: string;
  arm: 'champion' | 'challenger' | null;
  /** The champion policy whose accounts the variant was dealt from (null before an account is known). */
  championId: string | null;
  arrangement: string | null;
  /** Filled in from the ledger by the caller that has one (see `collectFacts`). */
  ledger: LedgerOutcome | null;
  secondsToAgreement: number | null;
  /** Basis points of the balance, per kind. */
  concessionBps: { interest: number; fees: number; settlement: number } | null;
  handoffReason: string | null;
  feedbackAsked: boolean;
  satisfaction: number | null;
  fair: boolean | null;
}

/** ISO 8601 week of a UTC instant: "2026-W48". */
export function isoWeek(instant: string): string {
  const d = new Date(instant);
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const bps = (part: number, whole: number) => (whole > 0 ? Math.round((part * 10_000) / whole) : 0);

/** One conversation's facts from its records (null when the cardholder never wrote). */
export function conversationFacts(records: readonly TranscriptRecord[]): ConversationFacts | null {
  const first = records[0];
  if (!first || !records.some((r) => r.kind === 'activity' && r.actor === 'cardholder' && r.payload.type === 'message')) return null;
  const facts: ConversationFacts = {
    conversationId: first.conversationId,
    startedAt: first.at,
    week: isoWeek(first.at),
    language: 'unknown',
    channel: 'unknown',
    bucket: 'unverified',
    variant: 'none',
    arm: null,
    championId: null,
    arrangement: null,
    ledger: null,
    secondsToAgreement: null,
    concessionBps: null,
    handoffReason: null,
    feedbackAsked: false,
    satisfaction: null,
    fair: null,
  };
  const amountsByOffer = new Map<string, Record<string, number>>();
  for (const r of records) {
    if (r.kind === 'activity') {
      if (facts.channel === 'unknown' && r.payload.channel) facts.channel = r.payload.channel;
      continue;
    }
    const p = r.payload;
    switch (p.type) {
      case 'understanding':
        facts.language = p.language;
        break;
      case 'variant':
        facts.bucket = p.bucket;
        facts.variant = variantLabel(p);
        facts.arm = p.arm;
        facts.championId = p.championId;
        break;
      case 'offer_shown':
      case 'policy_evaluation':
        for (const id of p.type === 'offer_shown' ? [p.offerId] : p.offerIds) amountsByOffer.set(id, p.amounts);
        break;
      case 'arrangement_created': {
        if (facts.arrangement) break;
        facts.arrangement = p.reference;
        facts.secondsToAgreement = Math.round((Date.parse(r.at) - Date.parse(first.at)) / 1000);
        const a = amountsByOffer.get(p.offerId);
        if (a) {
          const balance = a['balanceMinor'] ?? 0;
          facts.concessionBps = {
            interest: bps(a['interestWaiverMinor'] ?? 0, balance),
            fees: bps(a['feeWaiverMinor'] ?? 0, balance),
            settlement: a['settlementAmountMinor'] === undefined ? 0 : bps(balance - a['settlementAmountMinor'], balance),
          };
        }
        break;
      }
      case 'handoff':
        facts.handoffReason ??= p.reason;
        break;
      case 'feedback_asked':
        facts.feedbackAsked = true;
        break;
      case 'feedback':
        if (p.satisfaction !== null) facts.satisfaction = p.satisfaction;
        if (p.fair !== null) facts.fair = p.fair;
        break;
      default:
        break;
    }
  }
  return facts;
}

export interface Figures {
  conversations: number;
  agreements: number;
  agreementRate: number;
  handoffs: number;
  handoffRate: number;
  handoffsByReason: Record<string, number>;
  handoffRateByReason: Record<string, number>;
  timeToAgreement: { medianSeconds: number; meanSeconds: number } | null;
  /** Mean over arrangements, basis points of balance. */
  concessionBps: { interest: number; fees: number; settlement: number; total: number } | null;
  /** From the ledger; null when none was consulted or no arrangement has a status yet. */
  keptRate: number | null;
  cureRate: number | null;
  feedback: { asked: number; answered: number; satisfactionMean: number | null; satisfactionCount: number; fairYes: number; fairCount: number; fairRate: number | null };
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function figures(rows: readonly ConversationFacts[]): Figures {
  const agreed = rows.filter((r) => r.arrangement !== null);
  const handed = rows.filter((r) => r.handoffReason !== null);
  const byReason: Record<string, number> = {};
  for (const r of handed) byReason[r.handoffReason!] = (byReason[r.handoffReason!] ?? 0) + 1;
  const times = agreed.flatMap((r) => (r.secondsToAgreement === null ? [] : [r.secondsToAgreement]));
  const conceded = agreed.flatMap((r) => (r.concessionBps ? [r.concessionBps] : []));
  const statuses = agreed.flatMap((r) => (r.ledger === null || r.ledger === 'pending' ? [] : [r.ledger]));
  const scores = rows.flatMap((r) => (r.satisfaction === null ? [] : [r.satisfaction]));
  const fairness = rows.flatMap((r) => (r.fair === null ? [] : [r.fair]));
  const fairYes = fairness.filter(Boolean).length;
  return {
    conversations: rows.length,
    agreements: agreed.length,
    agreementRate: rate(agreed.length, rows.length),
    handoffs: handed.length,
    handoffRate: rate(handed.length, rows.length),
    handoffsByReason: byReason,
    handoffRateByReason: Object.fromEntries(Object.entries(byReason).map(([k, n]) => [k, rate(n, rows.length)])),
    timeToAgreement: times.length ? { medianSeconds: median(times), meanSeconds: Math.round(mean(times)) } : null,
    concessionBps: conceded.length
      ? {
          interest: Math.round(mean(conceded.map((c) => c.interest))),
          fees: Math.round(mean(conceded.map((c) => c.fees))),
          settlement: Math.round(mean(conceded.map((c) => c.settlement))),
          total: Math.round(mean(conceded.map((c) => c.interest + c.fees + c.settlement))),
        }
      : null,
    keptRate: statuses.length ? rate(statuses.filter((s) => s === 'on_schedule' || s === 'completed').length, statuses.length) : null,
    cureRate: statuses.length ? rate(statuses.filter((s) => s === 'completed').length, statuses.length) : null,
    feedback: {
      asked: rows.filter((r) => r.feedbackAsked).length,
      answered: rows.filter((r) => r.satisfaction !== null || r.fair !== null).length,
      satisfactionMean: scores.length ? Math.round(mean(scores) * 100) / 100 : null,
      satisfactionCount: scores.length,
      fairYes,
      fairCount: fairness.length,
      fairRate: fairness.length ? rate(fairYes, fairness.length) : null,
    },
  };
}

export interface Comparison {
  bucket: string;
  champion: string;
  challenger: string;
  /** Agreement rate, challenger against champion. */
  agreement: ProportionTest | null;
  /** Handoff rate, challenger against champion. */
  handoff: ProportionTest | null;
}

/**
 * Each challenger against its own champion in each bucket it ran in: only accounts dealt from the
 * same champion policy and bucket are comparable.
 */
export function comparisons(rows: readonly ConversationFacts[], confidence = 0.95): Comparison[] {
  const out: Comparison[] = [];
  const buckets = [...new Set(rows.filter((r) => r.arm === 'challenger').map((r) => r.bucket))].sort();
  for (const bucket of buckets) {
    const inBucket = rows.filter((r) => r.bucket === bucket);
    const challengers = [...new Set(inBucket.filter((r) => r.arm === 'challenger').map((r) => r.variant))].sort();
    for (const challenger of challengers) {
      const b = inBucket.filter((r) => r.variant === challenger);
      const championId = b[0]!.championId;
      const champions = [...new Set(inBucket.filter((r) => r.arm === 'champion' && r.championId === championId).map((r) => r.variant))].sort();
      for (const champion of champions) {
        const a = inBucket.filter((r) => r.variant === champion);
        const count = (xs: ConversationFacts[], hit: (r: ConversationFacts) => boolean) => ({ successes: xs.filter(hit).length, trials: xs.length });
        const agreed = (r: ConversationFacts) => r.arrangement !== null;
        const handed = (r: ConversationFacts) => r.handoffReason !== null;
        out.push({
          bucket,
          champion,
          challenger,
          agreement: twoProportionTest(count(a, agreed), count(b, agreed), confidence),
          handoff: twoProportionTest(count(a, handed), count(b, handed), confidence),
        });
      }
    }
  }
  return out;
}

export interface OutcomeReport {
  from: string | null;
  to: string | null;
  overall: Figures;
  by: Record<Dimension, Record<string, Figures>>;
  comparisons: Comparison[];
}

export function buildReport(rows: readonly ConversationFacts[], range: { from?: string | undefined; to?: string | undefined } = {}): OutcomeReport {
  const by = Object.fromEntries(
    DIMENSIONS.map((d) => {
      const groups = new Map<string, ConversationFacts[]>();
      for (const r of rows) groups.set(r[d], [...(groups.get(r[d]) ?? []), r]);
      return [d, Object.fromEntries([...groups.keys()].sort().map((k) => [k, figures(groups.get(k)!)]))];
    }),
  ) as Record<Dimension, Record<string, Figures>>;
  return { from: range.from ?? null, to: range.to ?? null, overall: figures(rows), by, comparisons: comparisons(rows) };
}
