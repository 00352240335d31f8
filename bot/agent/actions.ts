/**
 * What a person can do with a handed-off case. Every action that touches the conversation runs as
 * a proactive turn on the cardholder's own channel (so state loads and saves, the conversation lock
 * and the transcript apply exactly as for a cardholder's message), and every action is audited.
 * An approval is still decided by `policy.evaluate`, at the approver's authority — no person can
 * approve what the policy does not allow them to.
 */
import type { ConversationReference, TurnContext } from 'botbuilder';
import type { Forbear } from '../app.js';
import { assessmentOf } from '../case.js';
import { todayIn } from '../clock.js';
import type { Session } from '../auth/session.js';
import type { HandoffTicket } from '../handoff/desk.js';
import { formatDate, formatMoney, t } from '../messages/index.js';
import { evaluate, explain } from '../../policy/index.js';
import { variantStamp } from '../experiments/variant.js';
import type { AuthorityLevel, Decision, Proposal } from '../../policy/model.js';

/** Runs `logic` as a turn on the conversation's own channel adapter. */
export type Proactive = (reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>) => Promise<void>;

export class ActionRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly decision: Decision | null = null,
  ) {
    super(message);
  }
}

/** Agents decide at agent authority, supervisors at supervisor authority; compliance never acts. */
export function authorityOf(session: Session): AuthorityLevel {
  if (session.role === 'compliance') throw new ActionRefused(403, 'The compliance role cannot act on cases.');
  return session.role;
}

export class AgentActions {
  constructor(
    private readonly forbear: Forbear,
    private readonly proactive: Proactive,
  ) {}

  private audit(ticket: HandoffTicket, session: Session, action: string, offerId: string | null = null, note: string | null = null) {
    return this.forbear.audit.agentAction(ticket.conversationId, {
      type: 'agent_action',
      agentId: session.name,
      role: authorityOf(session) as 'agent' | 'supervisor',
      action,
      authority: authorityOf(session),
      offerId,
      note,
    });
  }

  async claim(ticket: HandoffTicket, session: Session): Promise<HandoffTicket> {
    const claimed = await this.forbear.desk.claim(ticket.conversationId, session.name, authorityOf(session));
    if (claimed === 'taken') throw new ActionRefused(409, 'Another agent has already claimed this case.');
    if (claimed === 'missing') throw new ActionRefused(404, 'No such case.');
    await this.audit(ticket, session, 'claim');
    return claimed;
  }

  async message(ticket: HandoffTicket, session: Session, text: string): Promise<void> {
    this.mustOwn(ticket, session);
    await this.proactive(ticket.reference, async (context) => {
      await context.sendActivity({ type: 'message', text, textFormat: 'plain', channelData: { agent: session.name } });
    });
    await this.audit(ticket, session, 'message');
  }

  /** The arrangement is created exactly once, with the approver recorded, and told to the cardholder. */
  async approve(ticket: HandoffTicket, session: Session, proposal: Proposal): Promise<Decision> {
    this.mustOwn(ticket, session);
    const authority = authorityOf(session);
    let decision: Decision | null = null;
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      const record = file?.accountId ? await this.forbear.accounts.get(file.accountId) : null;
      if (!file || !record) throw new ActionRefused(409, 'The cardholder is not verified: no arrangement can be made.');
      const policy = this.forbear.policy(record.policyId);
      // The signals that routed the case to a person have done their job: the person now decides,
      // within their authority, so the triggers are not applied to their own approval.
      const assessment = { ...assessmentOf(file, todayIn(this.forbear.clock, policy.timezone)), signals: [] };
      decision = evaluate(policy, record.account, assessment, proposal, { authority });
      await this.forbear.audit.evaluation(context, proposal, decision, authority, explain(policy, record.account, assessment).envelope);
      if (decision.outcome !== 'accept' || !decision.offer) return;
      const offer = decision.offer;
      const now = this.forbear.clock.now().toISOString();
      const { arrangement, created } = await this.forbear.stores.arrangements.createOnce(ticket.conversationId, (reference) => ({
        reference,
        conversationId: ticket.conversationId,
        accountId: record.account.accountId,
        channel: ticket.channelId,
        language: file.language,
        offer,
        policyId: policy.id,
        policyVersion: policy.version,
        variant: variantStamp(record),
        consentText: `approved by ${authority} ${session.name} after confirming with the cardholder`,
        consentAt: now,
        approvedBy: { role: authority, id: session.name },
        createdAt: now,
      }));
      Object.assign(file, { arrangementReference: arrangement.reference, closed: true, handoff: null, expecting: 'none', pendingOffer: null });
      if (created) await this.forbear.audit.agreement(context, offer, 'agent approval', arrangement.reference, arrangement.variant);
      const lang = file.language;
      const currency = record.account.currency;
      await context.sendActivity({ type: 'message', textFormat: 'plain', text: t(lang, 'agreement.done', { reference: arrangement.reference }) });
      const first = offer.installment?.schedule[0] ?? (offer.settlement ? { amountMinor: offer.settlement.amountMinor, dueDate: offer.settlement.payByDate } : null);
      if (first) {
        await context.sendActivity({
          type: 'message',
          textFormat: 'plain',
          text: t(lang, 'agreement.first_payment', { amount: formatMoney(first.amountMinor, currency, lang), date: formatDate(first.dueDate, lang) }),
        });
      }
      await context.sendActivity({ type: 'message', textFormat: 'plain', text: t(lang, 'agreement.missed_payment') });
      await context.sendActivity({ type: 'event', name: 'agreement', value: arrangement });
      await this.forbear.conversationState.saveChanges(context, false);
    });
    const decided = decision as Decision | null;
    if (!decided) throw new ActionRefused(500, 'The policy was not consulted.');
    await this.audit(ticket, session, decided.outcome === 'accept' ? 'approve_offer' : 'approve_refused', decided.offer?.offerId ?? null);
    if (decided.outcome !== 'accept') {
      throw new ActionRefused(403, `Not within ${authority} authority: the policy answered ${decided.outcome}.`, decided);
    }
    await this.forbear.desk.finish(ticket.conversationId, 'closed', 'arrangement');
    return decided;
  }

  /** The bot takes the conversation back, offering up to the approver's authority. */
  async handBack(ticket: HandoffTicket, session: Session): Promise<void> {
    this.mustOwn(ticket, session);
    const authority = authorityOf(session);
    await this.audit(ticket, session, 'hand_back');
    await this.forbear.desk.finish(ticket.conversationId, 'returned', `returned_to_bot_${authority}`);
    await this.proactive(ticket.reference, (context) => this.forbear.bot.resume(context, authority));
  }

  async close(ticket: HandoffTicket, session: Session, outcome: string): Promise<void> {
    this.mustOwn(ticket, session);
    await this.proactive(ticket.reference, async (context) => {
      const file = await this.forbear.caseState.get(context);
      if (file) Object.assign(file, { closed: true, handoff: null, expecting: 'none' });
      await context.sendActivity({ type: 'message', textFormat: 'plain', text: t(file?.language ?? ticket.language, 'handoff.case_closed') });
      await this.forbear.conversationState.saveChanges(context, false);
    });
    await this.audit(ticket, session, 'close', null, outcome);
    await this.forbear.desk.finish(ticket.conversationId, 'closed', outcome);
  }

  private mustOwn(ticket: HandoffTicket, session: Session): void {
    authorityOf(session);
    if (ticket.status !== 'claimed' || ticket.claimedBy?.name !== session.name) {
      throw new ActionRefused(409, 'Claim the case first.');
    }
  }
}
