/**
 * Search metadata for the compliance console, derived from records. Each record contributes a
 * small delta whose fields are either "last writer in chain order wins", "first wins", "max" or
 * set members, so Redis can apply it inside the same atomic append as the record itself.
 */
import { z } from 'zod';
import { FlagKind, Outcome, type ConversationFilter, type ConversationSummary, type TranscriptRecord } from './schema.js';
import { Language } from '../../conversation/language.js';
import { policyRef } from '../../policy/index.js';

export const SummaryDelta = z.object({
  conversationId: z.string(),
  at: z.string(),
  /** Fields overwritten by this record. */
  set: z.object({
    accountId: z.string().optional(),
    language: Language.optional(),
    outcome: Outcome.optional(),
    handoffReason: z.string().optional(),
    /** The last person (agent or supervisor) who acted on the case. */
    agentId: z.string().optional(),
    /** The cardholder wrote at least once ("yes" — kept as text so Redis stores it as it is). */
    engaged: z.literal('yes').optional(),
  }),
  flag: FlagKind.optional(),
  policyVersion: z.string().optional(),
  /** Every person who acted on the case (a set, so the agent filter finds any of them, not only the last). */
  agent: z.string().optional(),
});
export type SummaryDelta = z.infer<typeof SummaryDelta>;

export function summaryDelta(record: TranscriptRecord): SummaryDelta {
  const delta: SummaryDelta = { conversationId: record.conversationId, at: record.at, set: {} };
  if (record.kind === 'activity') {
    if (record.payload.language) delta.set.language = record.payload.language;
    if (record.actor === 'cardholder' && record.payload.type === 'message') delta.set.engaged = 'yes';
    return delta;
  }
  const p = record.payload;
  switch (p.type) {
    case 'understanding':
      delta.set.language = p.language;
      break;
    case 'verification':
    case 'account_facts':
      if (p.accountId) delta.set.accountId = p.accountId;
      break;
    case 'policy_evaluation':
    case 'offer_shown':
      delta.policyVersion = policyRef({ id: p.policyId, version: p.policyVersion });
      break;
    case 'arrangement_created':
      delta.set.outcome = 'arrangement';
      break;
    case 'handoff':
      delta.set.outcome = 'handoff';
      delta.set.handoffReason = p.reason;
      break;
    case 'flag':
      delta.flag = p.flag;
      break;
    case 'agent_action':
      delta.set.agentId = p.agentId;
      delta.agent = p.agentId;
      break;
    default:
      break;
  }
  return delta;
}

export function applyDelta(summary: ConversationSummary | null, delta: SummaryDelta): ConversationSummary {
  const base: ConversationSummary = summary ?? {
    conversationId: delta.conversationId,
    accountId: null,
    language: null,
    startedAt: delta.at,
    lastAt: delta.at,
    outcome: null,
    handoffReason: null,
    policyVersions: [],
    flags: [],
    records: 0,
    agentId: null,
    agents: [],
    engaged: false,
  };
  const union = <T>(list: T[], item: T | undefined) => (item === undefined || list.includes(item) ? list : [...list, item].sort());
  const { engaged, ...set } = delta.set;
  return {
    ...base,
    ...set,
    engaged: base.engaged || engaged === 'yes',
    lastAt: delta.at > base.lastAt ? delta.at : base.lastAt,
    policyVersions: union(base.policyVersions, delta.policyVersion),
    flags: union(base.flags, delta.flag),
    agents: union(base.agents, delta.agent),
    records: base.records + 1,
  };
}

/** Start of `from` and end of `to`, UTC, as epoch milliseconds (the index's score). */
export function dateRange(filter: Pick<ConversationFilter, 'from' | 'to'>): { min: number; max: number } {
  return {
    min: filter.from ? Date.parse(`${filter.from}T00:00:00.000Z`) : -Infinity,
    max: filter.to ? Date.parse(`${filter.to}T23:59:59.999Z`) : Infinity,
  };
}

export function matchesFilter(s: ConversationSummary, f: ConversationFilter): boolean {
  const { min, max } = dateRange(f);
  const started = Date.parse(s.startedAt);
  if (started < min || started > max) return false;
  if (f.accountId !== undefined && s.accountId !== f.accountId) return false;
  if (f.outcome !== undefined && (f.outcome === 'abandoned' ? s.outcome !== null : s.outcome !== f.outcome)) return false;
  if (f.handoffReason !== undefined && s.handoffReason !== f.handoffReason) return false;
  if (f.language !== undefined && s.language !== f.language) return false;
  if (f.policyVersion !== undefined && !s.policyVersions.some((v) => v === f.policyVersion || v.endsWith(`@${f.policyVersion}`))) return false;
  if (f.flag !== undefined && !s.flags.includes(f.flag)) return false;
  if (f.lastBefore !== undefined && !(s.lastAt < f.lastBefore)) return false;
  // Anyone who acted on it; summaries written before the set existed know only the last person.
  if (f.agentId !== undefined && !s.agents.includes(f.agentId) && s.agentId !== f.agentId) return false;
  if (f.engaged !== undefined && s.engaged !== f.engaged) return false;
  return true;
}
