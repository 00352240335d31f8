/**
 * The negotiation ladder. Offers come only from `policy.explain`, least concession first; every
 * counter the cardholder makes goes through `policy.evaluate`, and the bot says exactly what the
 * policy returned: accept, a counter-offer, a handoff, or a polite "not possible" with the
 * current offer again. The bot never invents a number.
 */
import type { DialogContext, WaterfallStepContext } from 'botbuilder-dialogs';
import { TextPrompt, WaterfallDialog } from './library.js';
import { evaluate, explain, ladderExhausted, triggeredHandoff } from '../policy/index.js';
import type { Explanation, Offer, Proposal, Policy } from '../policy/index.js';
import { addSignals, assessmentOf, countered, countRound, expect, nextRung, tableOffer, takeProposal, type CaseFile } from '../conversation/case.js';
import type { CardholderRecord } from '../conversation/accounts.js';
import { CaseDialog } from './caseDialog.js';
import { emit, matchAction, message, offerActivity, say, type Action } from './speak.js';
import type { CaseServices } from './services.js';
import { takeCommand, turnFacts } from './turn.js';
import type { MessageKey } from '../conversation/messages/index.js';

export const NEGOTIATION_DIALOG = 'negotiation';
const PROMPT = 'negotiation.prompt';
const STEPS = 'negotiation.steps';
/** Rounds without agreement before a person is brought in instead of the same question again. */
const MAX_ROUNDS = 8;
const ACTIONS: Action[] = ['accept', 'other', 'human'];

type Mode = { mode: 'present' | 'hint' };

const sameRequest = (a: Proposal | null, b: Proposal) => a !== null && JSON.stringify({ ...a, insist: null }) === JSON.stringify({ ...b, insist: null });

export class NegotiationDialog extends CaseDialog {
  constructor(services: CaseServices) {
    super(NEGOTIATION_DIALOG, services);
    this.addDialog(new TextPrompt(PROMPT));
    this.addDialog(new WaterfallDialog(STEPS, [this.present.bind(this), this.respond.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async present(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const record = await this.record(step.context);
    if (!record) throw new Error('negotiation started without a verified account');
    const policy = this.services.policy(record.policyId);
    const assessment = assessmentOf(file, this.today(policy.timezone));
    const options = { authority: file.authority };
    const explanation = explain(policy, record.account, assessment, options);

    const asked = takeProposal(file);
    if (asked) {
      const proposal: Proposal = { ...asked, insist: sameRequest(file.counteredProposal, asked) };
      const decision = evaluate(policy, record.account, assessment, proposal, options);
      await this.services.audit.evaluation(step.context, proposal, decision, file.authority, explanation.envelope);
      countered(file, decision.outcome === 'counter' ? asked : null);
      switch (decision.outcome) {
        case 'accept':
          // The cardholder's own terms, computed by the policy, go out as an offer like any other:
          // audited and as a structured event before consent is asked.
          tableOffer(file, decision.offer!);
          await say(step.context, file.language, 'negotiation.accepted');
          await this.announce(step, record, policy, decision.offer!, 'negotiation.accepted', '');
          return step.endDialog(decision.offer);
        case 'counter':
          // A counter without terms (affordability unknown: income or expenses never given or
          // never confirmed) is answered like a "no": the offer on the table, or a person.
          if (!decision.offer) return this.offerAgain(step, file, record, policy, explanation);
          return this.offer(step, file, record, policy, decision.offer, 'negotiation.counter');
        case 'handoff':
          return this.handOff(step, decision.handoff!);
        case 'reject':
          await say(step.context, file.language, 'negotiation.rejected');
          return this.offerAgain(step, file, record, policy, explanation);
      }
    }

    if (explanation.handoff) return this.handOff(step, explanation.handoff);
    const offer = explanation.offers[file.ladderIndex];
    if (!offer) return this.handOff(step, ladderExhausted(policy, explanation.envelope, file.authority));
    const mode = (step.options as Mode | undefined)?.mode ?? 'present';
    if (mode === 'hint' && file.pendingOffer?.offerId === offer.offerId) {
      expect(file, 'offer_choice');
      return step.prompt(PROMPT, { prompt: message(file.language, 'negotiation.hint', {}, ACTIONS) });
    }
    return this.offer(step, file, record, policy, offer, file.ladderIndex === 0 ? 'negotiation.first_offer' : 'negotiation.next_offer');
  }

  /** After a "no" from the policy, the offer on the table stands: said as such, not as a new option. */
  private async offerAgain(step: WaterfallStepContext, file: CaseFile, record: CardholderRecord, policy: Policy, explanation: Explanation) {
    if (explanation.handoff) return this.handOff(step, explanation.handoff);
    const offer = file.pendingOffer ?? explanation.offers[file.ladderIndex];
    if (!offer) return this.handOff(step, ladderExhausted(policy, explanation.envelope, file.authority));
    return this.offer(step, file, record, policy, offer, 'negotiation.still_available');
  }

  private async offer(step: WaterfallStepContext, file: CaseFile, record: CardholderRecord, policy: Policy, offer: Offer, key: MessageKey) {
    tableOffer(file, offer);
    expect(file, 'offer_choice');
    const activity = offerActivity(offer, record.account.currency, file.language, key, ACTIONS, file.dateStyle);
    await this.announce(step, record, policy, offer, key, activity.text ?? '');
    return step.prompt(PROMPT, { prompt: activity });
  }

  private async announce(step: WaterfallStepContext, record: CardholderRecord, policy: Policy, offer: Offer, key: string, text: string) {
    await this.services.audit.offerShown(step.context, offer, policy, record.account.currency, key, text);
    await emit(step.context, 'offer', { offer, policyId: policy.id, policyVersion: policy.version, currency: record.account.currency });
  }

  private async respond(step: WaterfallStepContext) {
    const file = await this.caseOf(step.context);
    const action = matchAction(turnFacts(step.context).text, ACTIONS);
    const rounds = countRound(file);
    // A corrected income or expense ends this ladder: the figures are read back and the
    // assessment re-run (MainDialog) before any further offer.
    if (file.figuresToConfirm) return step.endDialog();

    if (action === 'human') return this.askedForPerson(step, file);
    if (action === 'accept' || takeCommand(step.context, 'affirm') || takeCommand(step.context, 'choose')?.index === 1) {
      return step.endDialog(file.pendingOffer);
    }
    if (action === 'other' || takeCommand(step.context, 'deny') || takeCommand(step.context, 'cannot_pay')) {
      nextRung(file);
      return step.replaceDialog(STEPS, { mode: 'present' } satisfies Mode);
    }
    if (file.pendingProposal) return step.replaceDialog(STEPS, { mode: 'present' } satisfies Mode);
    if (rounds >= MAX_ROUNDS) return this.askedForPerson(step, file);
    return step.replaceDialog(STEPS, { mode: 'hint' } satisfies Mode);
  }

  private async askedForPerson(dc: DialogContext, file: CaseFile) {
    const record = await this.record(dc.context);
    addSignals(file, ['request_human']);
    const handoff = triggeredHandoff(this.services.policy(this.policyIdOf(record)), ['request_human']);
    if (!handoff) throw new Error('policy has no trigger for request_human');
    return this.handOff(dc, handoff);
  }
}
