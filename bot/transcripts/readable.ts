/**
 * A decision record in words, for people who review conversations: which rule and policy version,
 * which terms, whose authority — never raw JSON. Used by the compliance console's annotations and
 * by the printable record, in the reader's language.
 */
import { formatMoney, hasMessage, t, type MessageKey } from '../../conversation/messages/index.js';
import type { Language } from '../../conversation/language.js';
import { offerLines } from '../../dialogs/speak.js';
import type { TranscriptRecord } from './schema.js';
import { policyRef, REASON_DETAIL_UNITS } from '../../policy/index.js';

/**
 * A code in the reader's words: the consoles' labels (`agent.<prefix>_<code>`) or the review area's
 * own (`review.<prefix>_<code>`: intents, engines, actions); a code the catalogs do not name, as it is.
 */
function words(lang: Language, prefix: string, code: string, area: 'agent' | 'review' | 'compliance' = 'agent'): string {
  const key = `${area}.${prefix}_${code}`;
  return hasMessage(lang, key) ? t(lang, key) : code;
}

/** A policy reason code in words (the consoles' agent.why_ labels; a signal's own label after a trigger). */
function reasonWords(code: string, lang: Language): string {
  const [head = code, signal] = code.split(':');
  const reason = words(lang, 'why', head);
  return signal ? `${reason}：${words(lang, 'signal', signal)}` : reason;
}

/** A variant stamp ("challenger default-cn@2026.3") in words: which arm, then the policy it names. */
function variantWords(stamp: string | null, lang: Language): string | null {
  if (!stamp) return null;
  const [arm = stamp, ref] = stamp.split(' ');
  return ref ? `${words(lang, 'arm', arm, 'review')} ${ref}` : stamp;
}

const yesNo = (lang: Language, value: boolean | null) => (value === null ? null : t(lang, value ? 'review.yes' : 'review.no'));

/**
 * An amount of minor units for the reader: with its currency when the conversation names one (its
 * account facts or offers do, `currencyOf`), else the reader's digits without a symbol.
 */
const amount = (lang: Language, minor: number, currency: string | null) =>
  currency
    ? formatMoney(minor, currency, lang)
    : new Intl.NumberFormat(lang, { minimumFractionDigits: 2 }).format(`${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}` as unknown as number);

/** The currency a conversation's records name (account facts, an offer shown); null before any. */
export function currencyOf(records: readonly TranscriptRecord[]): string | null {
  for (const r of records) {
    if (r.kind === 'decision' && (r.payload.type === 'account_facts' || r.payload.type === 'offer_shown')) return r.payload.currency;
  }
  return null;
}

/**
 * A policy reason's detail in the reader's units (the policy names them, REASON_DETAIL_UNITS); an
 * override's detail is its reason code.
 */
function detailWords(r: { code: string; detail?: string | undefined }, lang: Language, currency: string | null): string {
  const detail = r.detail ?? '';
  if (r.code === 'affordability_override' || r.code.startsWith('override_')) return words(lang, 'override', detail);
  const m = /^(\d+) ([<>]=?) (\d+)$/.exec(detail);
  const unit = REASON_DETAIL_UNITS[r.code];
  if (!m || !unit) return detail;
  const shown = (n: string) => (unit === 'minor' ? amount(lang, Number(n), currency) : `${Number(n) / 100}%`);
  return `${shown(m[1]!)} ${m[2]!} ${shown(m[3]!)}`;
}

export interface ReadableDecision {
  seq: number;
  title: string;
  fields: { label: string; value: string }[];
}

type Decision = Extract<TranscriptRecord, { kind: 'decision' }>;
/** The labels of the review area ("review.intent" → "intent"). */
type ReviewLabel = MessageKey extends infer K ? (K extends `review.${infer Label}` ? Label : never) : never;

export function readableDecision(record: Decision, lang: Language, currency: string | null): ReadableDecision {
  const L = (key: ReviewLabel) => t(lang, `review.${key}`);
  const fields: { label: string; value: string }[] = [];
  const add = (key: ReviewLabel, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') fields.push({ label: L(key), value: String(value) });
  };
  const p = record.payload;
  switch (p.type) {
    case 'offer_shown':
      add('policy', policyRef({ id: p.policyId, version: p.policyVersion }));
      if (p.offer) add('authority', t(lang, `review.authority_${p.offer.authority}`));
      if (p.offer) add('terms', offerLines(p.offer, p.currency, lang).join(' '));
      add('rules', p.ruleIds.join('\n'));
      break;
    case 'policy_evaluation':
      add('outcome', t(lang, `review.outcome_${p.outcome}`));
      add('policy', policyRef({ id: p.policyId, version: p.policyVersion }));
      add('authority', t(lang, `review.authority_${p.authority}`));
      if (p.proposal) add('asked', Object.entries(p.proposal).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${String(v)}`).join(', '));
      add('rules', p.reasons.map((r) => `${reasonWords(r.code, lang)}${r.detail ? ` (${detailWords(r, lang, currency)})` : ''}: ${r.ruleId}`).join('\n'));
      break;
    case 'handoff':
      add('reason', words(lang, 'reason', p.reason));
      add('urgency', words(lang, 'urgency', p.urgency));
      if (p.authorityNeeded) add('authority', t(lang, `review.authority_${p.authorityNeeded}`));
      add('rules', p.ruleIds.join('\n'));
      add('variant', variantWords(p.variant, lang));
      break;
    case 'agent_action':
      add('person', `${p.agentId} (${t(lang, `review.authority_${p.role}`)})`);
      add('action', words(lang, 'action', p.action, 'review'));
      add('authority', t(lang, `review.authority_${p.authority}`));
      add('note', p.note);
      break;
    case 'consent':
      add('said', p.redactedText);
      break;
    case 'arrangement_created':
      add('reference', p.reference);
      add('offer', p.offerId);
      add('variant', variantWords(p.variant, lang));
      break;
    case 'verification':
      add('outcome', words(lang, 'verification', p.result, 'review'));
      add('account', p.accountId);
      break;
    case 'account_facts':
      add('account', p.accountId);
      add('amounts', Object.entries(p.amounts).map(([k, v]) => `${k} ${formatMoney(v, p.currency, lang)}`).join(', '));
      break;
    case 'understanding':
      add('intent', words(lang, 'intent', p.intent, 'review'));
      add('signals', p.signals.map((s) => words(lang, 'signal', s)).join(', '));
      add('engine', `${words(lang, 'engine', p.engine, 'review')}${p.promptVersion ? ` (${p.promptVersion})` : ''}`);
      break;
    case 'flag':
      add('flag', words(lang, 'flag', p.flag, 'compliance'));
      add('detail', p.detail);
      break;
    case 'contact_attempt':
      add('purpose', words(lang, 'purpose', p.purpose, 'review'));
      add('channel', words(lang, 'channel', p.channel, 'review'));
      add('timezone', p.timezone);
      add('allowed', yesNo(lang, p.allowed));
      add('reason', p.reason === null ? null : words(lang, 'gate', p.reason, 'review'));
      break;
    case 'promise_to_pay':
      add('date', p.date);
      add('amount', p.amountMinor === null ? null : amount(lang, p.amountMinor, currency));
      break;
    case 'stop_contact':
      add('source', words(lang, 'source', p.source, 'review'));
      add('said', p.redactedText);
      break;
    case 'variant':
      add('account', p.accountId);
      add('variant', `${words(lang, 'arm', p.arm, 'review')} ${policyRef({ id: p.policyId, version: p.policyVersion })}`);
      add('bucket', p.bucket);
      if (p.shareBps !== null) add('share', `${p.shareBps / 100}%`);
      break;
    case 'feedback_asked':
      add('asked_after', words(lang, 'after', p.after, 'review'));
      add('variant', variantWords(p.variant, lang));
      break;
    case 'feedback':
      if (p.satisfaction !== null) add('satisfaction', `${p.satisfaction} / 5`);
      add('fair', yesNo(lang, p.fair));
      add('variant', variantWords(p.variant, lang));
      break;
    case 'ledger':
      add('reference', p.reference);
      add('event', words(lang, 'event', p.event.type, 'review'));
      add('date', p.event.on);
      break;
    default: {
      // Every kind of decision has its words here: a new kind does not compile until it has them.
      const unread: never = p;
      throw new Error(`no words for decision ${String((unread as { type: string }).type)}`);
    }
  }
  return { seq: record.seq, title: t(lang, `transcript.decision.${p.type}`), fields };
}
