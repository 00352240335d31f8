/**
 * The bot (core-bot's DialogBot): each cardholder message is understood exactly once, turned into
 * commands, the facts it states are written into the case file, and the dialogs act on the
 * commands. Everything the conversation knows is saved at the end of every turn.
 */
import { ActivityHandler, type Activity, type ConversationState, type StatePropertyAccessor, type TurnContext } from 'botbuilder-core';
import type { DialogState } from 'botbuilder-dialogs';
import { DialogSet, DialogTurnStatus } from '../dialogs/library.js';
import { newCase, noteFacts, rememberTurn, returnToBot, speakLanguage, startOver, withdrawOffer, type CaseFile } from '../conversation/case.js';
import { todayIn } from '../conversation/clock.js';
import type { InboundPrivacy, InboundText } from './privacy/inbound.js';
import { isVerificationQuestion, type Expecting, type Understanding, type UnderstandingResult } from '../conversation/understanding.js';
import { nextLanguage, localeLanguage } from '../conversation/language.js';
import type { Logger } from './logger.js';
import type { ExpiringStorage } from './storage/memoryStorage.js';
import type { Metrics } from './metrics.js';
import type { Auditor } from '../conversation/audit.js';
import { TurnRecords } from './audit.js';
import type { QueueDesk } from './handoff/desk.js';
import type { AuthorityLevel } from '../policy/index.js';
import { commandsFor, toCommands, unhandled, type Command } from '../dialogs/commands.js';
import { MainDialog } from '../dialogs/mainDialog.js';
import { MAIN_DIALOG, noAgentChoices } from '../dialogs/caseDialog.js';
import { matchAction, say } from '../dialogs/speak.js';
import { accountOf, consentTo, setTurnFacts } from '../dialogs/turn.js';
import { concludeArrangement } from '../conversation/conclude.js';
import { variantStamp } from '../conversation/variant.js';
import { askFeedback, takeFeedback } from '../dialogs/feedback.js';
import type { CaseServices } from '../dialogs/services.js';

export interface BotParts {
  conversationState: ConversationState;
  caseState: StatePropertyAccessor<CaseFile>;
  services: CaseServices;
  /** The engine for free text (rules, or the LLM with rules as guard and fallback). */
  understanding: Understanding;
  /** Verification answers are read by rules only: they never leave the process. */
  rules: Understanding;
  /** What of each message may be kept or sent (verification answers and personal data masked). */
  inbound: InboundPrivacy;
  audit: Auditor;
  desk: QueueDesk;
  metrics: Metrics;
  logger: Logger;
  /** Where conversation state is stored, and how long a chat nobody has written in keeps it. */
  unstarted: { storage: ExpiringStorage; ttlSec: number };
}

/**
 * Verification answers never leave the process, and consent must be unambiguous: both are read by
 * the rules alone (a yes, a button label), never by a model that a crafted message could steer.
 * A message at a verification question that cannot be an answer (no digits or numerals, see
 * `InboundPrivacy`: "卡是我哥的，他住院了") is read like any message before the question was asked,
 * so that the understanding's full reading of a third party or a safety signal is not lost.
 */
const RULES_ONLY = new Set<Expecting>(['consent']);

/** Enough context for "yes", "the second one", "make it 18"; more only costs tokens. */
const RECENT_TURNS = 6;

/**
 * botbuilder-dialogs (4.23.3, pinned) builds its memory-scope configuration — a walk of the
 * component registry with a zod parse of the bot's settings — for the first DialogContext of every
 * turn and keeps it in the turn state under this key. It is the same for every turn, so the bot
 * builds it once and hands it to each turn (measured: about 3% of a turn's CPU).
 */
const DIALOG_STATE_CONFIGURATION = 'DialogStateManagerConfiguration';

/**
 * At the first `continueDialog` of a turn botbuilder-dialogs emits an `activityReceived` dialog
 * event: it walks down to the innermost active dialog, building a DialogContext (and its memory
 * scopes) for every level, and bubbles the event back up. Only adaptive dialogs act on it, and a
 * prompt's recognizer whose verdict is discarded there; no Forbear dialog handles dialog events.
 * The library marks a turn that has emitted it with a private symbol; the bot finds that symbol in
 * its first turn's state and marks each later turn with it, so the walk is skipped (measured: about
 * 3% of a turn's CPU in the engine alone).
 */
const ACTIVITY_RECEIVED_EMITTED = 'ActivityReceivedEmitted';

/** Facts the cardholder stated are recorded whatever step the conversation is at. */
function applyFacts(file: CaseFile, commands: Command[]): void {
  // Income and expenses drive affordability: every figure, however plainly written, and every
  // correction is read back before the policy uses it (a misread number is a policy violation).
  if (commands.some((c) => (c.kind === 'set_income' || c.kind === 'set_expenses') && c.amountMinor >= 0)) noteFacts(file, { figuresToConfirm: true });
  for (const c of commandsFor(commands, 'facts')) {
    switch (c.kind) {
      case 'set_reason':
        noteFacts(file, { hardshipReason: c.reason });
        break;
      case 'set_income':
        if (c.amountMinor >= 0) noteFacts(file, { monthlyIncomeMinor: c.amountMinor });
        break;
      case 'set_expenses':
        if (c.amountMinor >= 0) noteFacts(file, { essentialExpensesMinor: c.amountMinor });
        break;
      case 'propose':
        noteFacts(file, { pendingProposal: c.proposal });
        break;
      case 'promise':
        noteFacts(file, { promise: { date: c.date, amountMinor: c.amountMinor }, promiseAlternative: c.alternative });
        break;
      default:
        unhandled(c);
    }
  }
}

export class ForbearBot extends ActivityHandler {
  private readonly dialogs: DialogSet;
  private readonly dialogState: StatePropertyAccessor<DialogState>;
  private dialogStateConfiguration: unknown;
  private activityReceivedEmitted: symbol | undefined;

  constructor(private readonly parts: BotParts) {
    super();
    this.dialogState = parts.conversationState.createProperty<DialogState>('dialogState');
    this.dialogs = new DialogSet(this.dialogState);
    this.dialogs.add(new MainDialog(parts.services));

    this.onMembersAdded(async (context, next) => {
      const joined = (context.activity.membersAdded ?? []).some((m) => m.id !== context.activity.recipient?.id);
      if (joined) await this.runDialogs(context, await this.caseOf(context));
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.onCardholderMessage(context);
      await next();
    });
  }

  override async run(context: TurnContext): Promise<void> {
    if (this.dialogStateConfiguration !== undefined) context.turnState.set(DIALOG_STATE_CONFIGURATION, this.dialogStateConfiguration);
    if (this.activityReceivedEmitted !== undefined) context.turnState.set(this.activityReceivedEmitted, true);
    context.onSendActivities(async (ctx, activities, next) => {
      this.countOutcomes(activities);
      const spoken = activities.filter((a) => a.type === 'message' && a.text);
      if (spoken.length > 0) {
        const file = await this.caseOf(ctx);
        for (const a of spoken) this.remember(file, 'bot', a.text!);
      }
      return next();
    });
    await super.run(context);
    this.dialogStateConfiguration ??= context.turnState.get<unknown>(DIALOG_STATE_CONFIGURATION);
    this.activityReceivedEmitted ??= [...context.turnState.keys()].find(
      (key): key is symbol => typeof key === 'symbol' && key.description === ACTIVITY_RECEIVED_EMITTED,
    );
    await TurnRecords.store(context);
    await this.parts.conversationState.saveChanges(context, false);
    // A chat opened and never written in (its records were held aside) is forgotten soon; the
    // cardholder's first message saves the state again, with the normal lifetime.
    const key = this.parts.conversationState.getStorageKey(context);
    if (TurnRecords.of(context)?.unstarted && key !== undefined) await this.parts.unstarted.storage.expire([key], this.parts.unstarted.ttlSec);
  }

  /** Outcomes are counted where they are announced, so every path to one (bot or agent) is counted. */
  private countOutcomes(activities: Partial<Activity>[]): void {
    for (const a of activities) {
      if (a.type !== 'event') continue;
      if (a.name === 'agreement') {
        this.parts.metrics.outcomes.inc({ outcome: 'agreement', reason: '' });
        this.parts.metrics.variantAgreements.inc({ variant: (a.value as { variant?: string | null }).variant ?? 'none' });
      }
      if (a.name === 'handoff') {
        const handoff = a.value as { reason?: string; variant?: string | null };
        const reason = handoff.reason ?? 'unknown';
        this.parts.metrics.outcomes.inc({ outcome: 'handoff', reason });
        this.parts.metrics.variantHandoffs.inc({ variant: handoff.variant ?? 'none', reason });
      }
    }
  }

  private remember(file: CaseFile, role: 'cardholder' | 'bot', text: string): void {
    rememberTurn(file, role, text, RECENT_TURNS);
  }

  private async caseOf(context: TurnContext): Promise<CaseFile> {
    // A new case is built only when there is none: the case is read several times a turn (once per reply spoken).
    const file = await this.parts.caseState.get(context);
    if (file) return file;
    const language = localeLanguage(context.activity.locale) ?? 'zh-CN';
    return this.parts.caseState.get(context, newCase(language));
  }

  private async onCardholderMessage(context: TurnContext): Promise<void> {
    const started = process.hrtime.bigint();
    const file = await this.caseOf(context);
    const text = (context.activity.text ?? '').trim();
    // The message is read once, and only if needed: a tap on the feedback question is an answer to
    // it, not something to understand; a typed "是" to the fairness question is read first.
    let read: Promise<{ inbound: InboundText; understanding: UnderstandingResult }> | undefined;
    const readMessage = () =>
      (read ??= this.parts.inbound.of(context).then(async (inbound) => ({ inbound, understanding: await this.understand(context, file, inbound) })));
    if (await takeFeedback(context, file, this.parts.services, text, async () => (await readMessage()).understanding)) {
      this.parts.metrics.feedback.inc({ kind: file.feedback === 'fair' ? 'satisfaction' : 'fair' });
      return;
    }
    const { inbound, understanding } = await readMessage();
    speakLanguage(file, nextLanguage(file.language, text, understanding.language));
    this.remember(file, 'cardholder', inbound.stored);
    const commands = toCommands(understanding);
    applyFacts(file, commands);
    setTurnFacts(context, { text, understanding, commands });
    await this.parts.audit.understanding(context, understanding, text);

    if (commandsFor(commands, 'bot').some((c) => c.kind === 'start_over') && !file.handoff) {
      startOver(file);
      await this.dialogState.delete(context);
      await say(context, file.language, 'flow.start_over');
      await this.runDialogs(context, file);
    } else if (file.handoff) {
      await this.whileHandedOff(context, file, text);
    } else if (file.closed) {
      await say(context, file.language, file.arrangementReference ? 'closed.arrangement' : 'closed.default', {
        ...(file.arrangementReference ? { reference: file.arrangementReference } : {}),
      });
    } else {
      await this.runDialogs(context, file);
    }
    this.parts.metrics.turns.inc({ channel: context.activity.channelId ?? 'unknown' });
    this.parts.metrics.turnLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * A person has (or is about to have) the case: the bot stays silent — the message is in the
   * transcript the agent reads — except for the two choices offered when no agent was available.
   */
  private async whileHandedOff(context: TurnContext, file: CaseFile, text: string): Promise<void> {
    const conversationId = context.activity.conversation.id;
    if (file.offeredBy && file.pendingOffer) {
      await this.answerPersonsTerms(context, file);
      return;
    }
    const ticket = await this.parts.desk.tickets.get(conversationId);
    if (ticket?.status !== 'waiting') return;
    const choice = matchAction(text, noAgentChoices(ticket.handoff));
    if (choice === null) {
      // Nobody has picked the case up in time: the cardholder is not left waiting in silence.
      if (await this.parts.desk.timedOut(conversationId)) {
        await say(context, file.language, 'handoff.no_agent', {}, noAgentChoices(ticket.handoff));
      }
      return;
    }
    if (choice === 'callback') {
      await this.parts.desk.tickets.update(conversationId, (t) => ({ ...t!, outcome: 'callback_requested' }));
      await say(context, file.language, 'handoff.callback_noted');
      return;
    }
    await this.parts.desk.finish(conversationId, 'returned', 'continued_with_bot');
    await this.resume(context, 'bot');
  }

  /**
   * A person's approved terms are on the table: they bind nobody until the cardholder consents here,
   * in their own channel, and then the arrangement is concluded by the same function as the bot's.
   * Anything else the cardholder writes goes to the person, as every message does while they have the case.
   */
  private async answerPersonsTerms(context: TurnContext, file: CaseFile): Promise<void> {
    const conversationId = context.activity.conversation.id;
    const answer = consentTo(context);
    if (answer === null) return;
    const offeredBy = file.offeredBy!;
    if (answer === 'disagree') {
      withdrawOffer(file);
      await this.parts.desk.change(conversationId, (t) => ({ ...t, awaitingConsent: null }));
      await say(context, file.language, 'consent.declined_person');
      return;
    }
    const { services } = this.parts;
    const record = await accountOf(context, services.accounts, file.accountId!);
    if (!record) throw new Error(`account ${file.accountId} vanished before consent`);
    const arrangement = await concludeArrangement(context, services, {
      file,
      offer: file.pendingOffer!,
      accountId: record.account.accountId,
      currency: record.account.currency,
      policy: services.policy(record.policyId),
      consentText: (context.activity.text ?? '').trim(),
      approvedBy: offeredBy,
      variant: variantStamp(record),
    });
    await this.parts.desk.change(conversationId, (t) => ({
      ...t,
      awaitingConsent: null,
      arrangement: { reference: arrangement.reference, offer: arrangement.offer, approvedBy: offeredBy.id },
    }));
    await this.parts.desk.finish(conversationId, 'closed', 'arrangement');
    await askFeedback(context, file, services, 'agreement');
  }

  /**
   * Back to the negotiation after a handoff, at the authority a person granted (or the bot's own):
   * the ladder starts again from the least concession at that level.
   */
  async resume(context: TurnContext, authority: AuthorityLevel): Promise<void> {
    const file = await this.caseOf(context);
    returnToBot(file, authority);
    await this.dialogState.delete(context);
    await say(context, file.language, 'handoff.back_to_bot');
    await this.runDialogs(context, file);
    await TurnRecords.store(context);
    await this.parts.conversationState.saveChanges(context, false);
  }

  private async understand(context: TurnContext, file: CaseFile, inbound: InboundText): Promise<UnderstandingResult> {
    const { services } = this.parts;
    const record = file.accountId ? await accountOf(context, services.accounts, file.accountId) : null;
    const policy = services.policy(record?.policyId ?? services.settings.defaultPolicyId);
    const engine = RULES_ONLY.has(file.expecting) || inbound.sensitive ? this.parts.rules : this.parts.understanding;
    const result = await engine.understand(inbound.understood, {
      language: file.language,
      expecting: isVerificationQuestion(file.expecting) && !inbound.sensitive ? 'none' : file.expecting,
      today: todayIn(services.clock, policy.timezone),
      recentTurns: [...file.recentTurns],
    });
    this.parts.metrics.understanding.inc({ engine: result.engine });
    return result;
  }

  private async runDialogs(context: TurnContext, file: CaseFile): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty && !file.closed && !file.handoff) await dc.beginDialog(MAIN_DIALOG);
  }
}
