/**
 * What a person can do with a handed-off case. Every action that touches the conversation runs as
 * a proactive turn on the cardholder's own channel (so state loads and saves, the conversation lock
 * and the transcript apply exactly as for a cardholder's message), and every action is audited.
 *
 * Terms are decided by `policy.evaluate` at the approver's authority — no person can approve what
 * the policy does not allow them to — and even then they bind nobody: they are shown to the
 * cardholder in full, and the arrangement is concluded only when the cardholder consents there
 * (`concludeArrangement`, the same function as for the bot's own offers).
 */
import type { ConversationReference, TurnContext } from 'botbuilder';
import type { Forbear } from '../app.js';
import { assessmentOf, closedByPerson, tablePersonsTerms } from '../../conversation/case.js';
import { todayIn } from '../../conversation/clock.js';
import type { Session } from '../auth/session.js';
import type { ConsoleUser } from '../auth/users.js';
import type { HandoffTicket } from '../handoff/desk.js';
import { t, type MessageKey } from '../../conversation/messages/index.js';
import { consentActivity } from '../../dialogs/speak.js';
import { askFeedback } from '../../dialogs/feedback.js';
import { evaluate, explain } from '../../policy/index.js';
import type { Assessment, AuthorityLevel, Decision, EvaluateOptions, Proposal, Policy } from '../../policy/index.js';

/** A person's affordability override (the policy's `affordabilityOverride`), or none. */
export type Override = EvaluateOptions['override'];
import type { CardholderRecord } from '../../conversation/accounts.js';

/** Runs `logic` as a turn on the conversation's own channel adapter. */
export type Proactive = (reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>) => Promise<void>;

/**
 * Why an action was refused. `code` is what the console translates (`agent.error_<code>`); the
 * message is for API clients and logs.
 */
export type RefusalCode =
  | 'role_cannot_act'
  | 'taken'
  | 'missing'
  | 'not_owner'
  | 'not_verified'
  | 'beyond_authority'
  | 'not_within_any_authority'
  | 'no_request'
  | 'supervisor_only'
  | 'no_such_user'
  | 'awaiting_consent';

export class ActionRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: RefusalCode,
    message: string,
    readonly decision: Decision | null = null,
  ) {
    super(message);
  }
}

/** Agents decide at agent authority, supervisors at supervisor authority; other roles never act on cases. */
export function authorityOf(session: Pick<Session, 'role'>): 'agent' | 'supervisor' {
  if (session.role !== 'agent' && session.role !== 'supervisor') {
    throw new ActionRefused(403, 'role_cannot_act', `The ${session.role} role cannot act on cases.`);
  }
  return session.role;
}

const overrideNote = (override: Override) => (override ? `affordability override: ${override.reasonCode}` : null);

interface CaseFacts {
  record: CardholderRecord;
  policy: Policy;
  assessment: Assessment;
}

/** What the policy says about a proposal for this case, at one authority, without sending anything. */
export interface Preview {
  authority: AuthorityLevel;
  decision: Decision;
}

/** What a person's actions reach: the case in conversation state, the desk, the policy and the audit trail. */
export type AgentPorts = Pick<Forbear, 'accounts' | 'audit' | 'bot' | 'caseState' | 'clock' | 'conversationState' | 'desk' | 'policy'>;

export class AgentActions {
  constructor(
    private readonly forbear: AgentPorts,
    private readonly proactive: Proactive,
    private readonly users: readonly ConsoleUser[],
  ) {}

  private audit(ticket: HandoffTicket, session: Session, action: string, offerId: string | null = null, note: string | null = null) {
    const authority = authorityOf(session);
    return this.forbear.audit.agentAction(ticket.conversationId, {
      type: 'agent_action',
      agentId: session.name,
      role: authority,
      action,
      authority,
      offerId,
      note,
    });
  }

  /** The name cardholders see for a console user: their display name, never the login id (kept for the audit). */
  private shownName(name: string): string {
    return this.users.find((u) => u.name === name)?.displayName ?? name;
  }

  /** Says one catalog sentence to the cardholder, marked as the person's (not the bot's). */
  private async tell(ticket: HandoffTicket, session: Session, key: MessageKey, vars: Record<string, string> = {}) {
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      await context.sendActivity({ type: 'message', textFormat: 'plain', text: t(file?.language ?? ticket.language, key, vars), channelData: { agent: this.shownName(session.name), notice: true } });
      await this.forbear.conversationState.saveChanges(context, false);
    });
  }

  async claim(ticket: HandoffTicket, session: Session): Promise<HandoffTicket> {
    const claimed = await this.forbear.desk.claim(ticket.conversationId, session.name, authorityOf(session));
    if (claimed === 'taken') throw new ActionRefused(409, 'taken', 'Another agent has already claimed this case.');
    if (claimed === 'missing') throw new ActionRefused(404, 'missing', 'No such case.');
    await this.audit(ticket, session, 'claim');
    // The cardholder learns that a person, by name, has taken over from the bot.
    if (ticket.claimedBy?.name !== session.name) await this.tell(ticket, session, 'person.joined', { name: this.shownName(session.name) });
    return claimed;
  }

  async message(ticket: HandoffTicket, session: Session, text: string): Promise<void> {
    this.mustOwn(ticket, session);
    await this.proactive(ticket.reference, async (context) => {
      await context.sendActivity({ type: 'message', text, textFormat: 'plain', channelData: { agent: this.shownName(session.name) } });
    });
    await this.audit(ticket, session, 'message');
  }

  /** The policy's answer at the caller's authority and at a supervisor's, before anything is sent. */
  async preview(ticket: HandoffTicket, session: Session, proposal: Proposal, override?: Override): Promise<Preview[]> {
    const own = authorityOf(session);
    const levels: AuthorityLevel[] = own === 'supervisor' ? ['supervisor'] : ['agent', 'supervisor'];
    const { record, assessment, policy } = await this.facts(ticket);
    return levels.map((authority) => ({ authority, decision: evaluate(policy, record.account, assessment, proposal, { authority, ...(override ? { override } : {}) }) }));
  }

  /**
   * Terms within the approver's authority go to the cardholder, in full, for consent; nothing is
   * agreed until they say so. Beyond it: 403 with the policy's reasons (an agent can then ask a
   * supervisor with `requestApproval`).
   */
  async approve(ticket: HandoffTicket, session: Session, proposal: Proposal, override?: Override): Promise<Decision> {
    this.mustOwn(ticket, session);
    const decision = await this.offerForConsent(ticket, session, authorityOf(session), proposal, override);
    await this.audit(ticket, session, decision.outcome === 'accept' ? 'approve_offer' : 'approve_refused', decision.offer?.offerId ?? null, overrideNote(override));
    if (decision.outcome !== 'accept') {
      throw new ActionRefused(403, 'beyond_authority', `Not within ${authorityOf(session)} authority: the policy answered ${decision.outcome}.`, decision);
    }
    return decision;
  }

  /** The agent asks a supervisor: the request waits in the supervisors' queue with the policy's computed offer. */
  async requestApproval(ticket: HandoffTicket, session: Session, proposal: Proposal, note: string, override?: Override): Promise<HandoffTicket> {
    this.mustOwn(ticket, session);
    const [decision] = (await this.preview(ticket, { ...session, role: 'supervisor' }, proposal, override)).map((p) => p.decision);
    if (decision!.outcome !== 'accept' || !decision!.offer) {
      throw new ActionRefused(403, 'not_within_any_authority', `Not within supervisor authority either: the policy answered ${decision!.outcome}.`, decision!);
    }
    const now = this.forbear.clock.now().toISOString();
    const updated = await this.forbear.desk.change(ticket.conversationId, (t) => ({
      ...t,
      approval: {
        proposal,
        override: override ?? null,
        offer: decision!.offer!,
        reasons: decision!.reasons,
        note,
        requestedBy: session.name,
        requestedAt: now,
        status: 'pending',
        decidedBy: null,
        decidedAt: null,
        decisionReason: null,
      },
    }));
    await this.audit(ticket, session, 'request_approval', decision!.offer.offerId, note || null);
    return updated;
  }

  /** A supervisor decides from their own queue; the agent keeps the chat. Approved terms go to the cardholder for consent. */
  async decideApproval(ticket: HandoffTicket, session: Session, approve: boolean, reason: string): Promise<HandoffTicket> {
    if (authorityOf(session) !== 'supervisor') throw new ActionRefused(403, 'supervisor_only', 'Only a supervisor decides approval requests.');
    const request = ticket.approval;
    if (!request || request.status !== 'pending' || ticket.status !== 'claimed') throw new ActionRefused(409, 'no_request', 'No pending approval request on this case.');
    if (approve) {
      const decision = await this.offerForConsent(ticket, session, 'supervisor', request.proposal, request.override ?? undefined);
      if (decision.outcome !== 'accept') {
        throw new ActionRefused(409, 'not_within_any_authority', `The policy now answers ${decision.outcome}.`, decision);
      }
    }
    const now = this.forbear.clock.now().toISOString();
    const updated = await this.forbear.desk.change(ticket.conversationId, (t) => ({
      ...t,
      approval: { ...request, status: approve ? 'approved' : 'declined', decidedBy: session.name, decidedAt: now, decisionReason: reason },
    }));
    await this.audit(ticket, session, approve ? 'approve_request' : 'decline_request', request.offer.offerId, reason || null);
    return updated;
  }

  /** Back to the queue for anyone to claim. */
  async release(ticket: HandoffTicket, session: Session): Promise<HandoffTicket> {
    this.mustOwn(ticket, session);
    const updated = await this.forbear.desk.reassign(ticket.conversationId, null);
    await this.audit(ticket, session, 'release');
    await this.tell(ticket, session, 'person.left', { name: this.shownName(session.name) });
    return updated;
  }

  /** To a named colleague (the owner, or any supervisor, may transfer). */
  async transfer(ticket: HandoffTicket, session: Session, to: string): Promise<HandoffTicket> {
    if (authorityOf(session) !== 'supervisor') this.mustOwn(ticket, session);
    const target = this.users.find((u) => u.name === to && (u.role === 'agent' || u.role === 'supervisor'));
    if (!target) throw new ActionRefused(404, 'no_such_user', `No agent or supervisor named ${to}.`);
    const updated = await this.forbear.desk.reassign(ticket.conversationId, { name: target.name, role: target.role });
    await this.audit(ticket, session, 'transfer', null, `to ${target.name}`);
    await this.tell(ticket, session, 'person.transferred', { name: target.displayName });
    return updated;
  }

  async note(ticket: HandoffTicket, session: Session, text: string): Promise<HandoffTicket> {
    authorityOf(session);
    const at = this.forbear.clock.now().toISOString();
    const updated = await this.forbear.desk.change(ticket.conversationId, (t) => ({ ...t, notes: [...t.notes, { by: session.name, at, text }] }));
    await this.audit(ticket, session, 'note');
    return updated;
  }

  /** The bot takes the conversation back, offering up to the approver's authority. */
  async handBack(ticket: HandoffTicket, session: Session): Promise<void> {
    this.mustOwn(ticket, session);
    const authority = authorityOf(session);
    await this.audit(ticket, session, 'hand_back');
    await this.forbear.desk.finish(ticket.conversationId, 'returned', `returned_to_bot_${authority}`);
    await this.proactive(ticket.reference, (context) => this.forbear.bot.resume(context, authority));
  }

  /** Closes with a disposition code from the configured closed list (the route checks it) and an optional note. */
  async close(ticket: HandoffTicket, session: Session, disposition: string, note = ''): Promise<void> {
    this.mustOwn(ticket, session);
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      if (file) closedByPerson(file);
      await context.sendActivity({ type: 'message', textFormat: 'plain', text: t(file?.language ?? ticket.language, 'handoff.case_closed') });
      if (file) await askFeedback(context, file, this.forbear, 'handoff_closed');
      await this.forbear.conversationState.saveChanges(context, false);
    });
    await this.audit(ticket, session, 'close', null, note ? `${disposition}: ${note}` : disposition);
    if (note) await this.forbear.desk.change(ticket.conversationId, (t) => ({ ...t, notes: [...t.notes, { by: session.name, at: this.forbear.clock.now().toISOString(), text: note }] }));
    await this.forbear.desk.finish(ticket.conversationId, 'closed', disposition);
  }

  private async facts(ticket: HandoffTicket): Promise<CaseFacts> {
    const box: { facts?: CaseFacts } = {};
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      const record = file?.accountId ? await this.forbear.accounts.get(file.accountId) : null;
      if (!file || !record) return;
      const policy = this.forbear.policy(record.policyId);
      // The signals that routed the case to a person have done their job: the person now decides,
      // within their authority, so the triggers are not applied to their own approval.
      box.facts = { record, policy, assessment: { ...assessmentOf(file, todayIn(this.forbear.clock, policy.timezone)), signals: [] } };
    });
    if (!box.facts) throw new ActionRefused(409, 'not_verified', 'The cardholder is not verified: no arrangement can be made.');
    return box.facts;
  }

  /**
   * Decides the proposal at `authority`; if the policy accepts, shows the cardholder every term and
   * asks for their consent in the channel. The approver is recorded with the terms on the table.
   */
  private async offerForConsent(ticket: HandoffTicket, session: Session, authority: AuthorityLevel, proposal: Proposal, override?: Override): Promise<Decision> {
    let decision: Decision | null = null;
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      const record = file?.accountId ? await this.forbear.accounts.get(file.accountId) : null;
      if (!file || !record) throw new ActionRefused(409, 'not_verified', 'The cardholder is not verified: no arrangement can be made.');
      const policy = this.forbear.policy(record.policyId);
      const assessment = { ...assessmentOf(file, todayIn(this.forbear.clock, policy.timezone)), signals: [] };
      decision = evaluate(policy, record.account, assessment, proposal, { authority, ...(override ? { override } : {}) });
      await this.forbear.audit.evaluation(context, proposal, decision, authority, explain(policy, record.account, assessment).envelope);
      if (decision.outcome !== 'accept' || !decision.offer) return;
      const offer = decision.offer;
      tablePersonsTerms(file, offer, { role: authority, id: session.name });
      const activity = consentActivity(offer, record.account.currency, file.language, file.dateStyle);
      await this.forbear.audit.offerShown(context, offer, policy, record.account.currency, 'agreement.restate', activity.text ?? '');
      await context.sendActivity({ ...activity, channelData: { agent: this.shownName(session.name) } });
      await context.sendActivity({ type: 'event', name: 'offer', value: { offer, policyId: policy.id, policyVersion: policy.version, currency: record.account.currency, offeredBy: session.name } });
      await this.forbear.conversationState.saveChanges(context, false);
    });
    const decided = decision as Decision | null;
    if (!decided) throw new ActionRefused(500, 'missing', 'The policy was not consulted.');
    if (decided.outcome === 'accept' && decided.offer) {
      await this.forbear.desk.change(ticket.conversationId, (t) => ({ ...t, awaitingConsent: { offer: decided.offer!, by: session.name } }));
    }
    return decided;
  }

  private mustOwn(ticket: HandoffTicket, session: Session): void {
    authorityOf(session);
    if (ticket.status !== 'claimed' || ticket.claimedBy?.name !== session.name) {
      throw new ActionRefused(409, 'not_owner', 'Claim the case first.');
    }
  }
}
