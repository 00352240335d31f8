/**
 * A Bot Framework adapter whose "channel" is the Direct Line activity log: the client's activities
 * run through the bot, the bot's replies are appended to the log (ids `<conversationId>|<seq>`),
 * and open streams are told at once. Proactive messages (agent replies relayed from the handoff
 * desk) use `continueConversation` like on any other adapter.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import {
  ActivityTypes,
  BotAdapter,
  TurnContext,
  type Activity,
  type ChannelAccount,
  type ConversationReference,
  type ResourceResponse,
} from 'botbuilder-core';
import type { ClaimsIdentity } from 'botframework-connector';
import type { ConversationLog, LogEntry } from './store.js';
import { MemoryConversationLock, afterCommit, type ConversationLock } from '../../storage/lock.js';
import { continuationActivity, continuationLogic } from '../continuation.js';

export const DIRECT_LINE_CHANNEL_ID = 'directline';
/** Marks conversation references that belong to this adapter (Azure's Direct Line has an https URL). */
export const DIRECT_LINE_SERVICE_URL = 'urn:forbear:directline';

export const activityId = (conversationId: string, seq: number) => `${conversationId}|${String(seq).padStart(7, '0')}`;

/** Log entries as the client sees them: each activity carries its id. */
export function withIds(conversationId: string, entries: LogEntry[]): Partial<Activity>[] {
  return entries.map((e) => ({ ...e.activity, id: activityId(conversationId, e.seq) }));
}

/** What open streams hear: the log grew, or an activity that is never stored (typing). */
export type ConversationSignal = { kind: 'appended' } | { kind: 'ephemeral'; activity: Partial<Activity> };

/** In-process notifications; streams also re-read the log on a timer, so other instances' appends arrive too. */
export class ConversationSignals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(conversationId: string, signal: ConversationSignal): void {
    this.emitter.emit(conversationId, signal);
  }

  subscribe(conversationId: string, listener: (signal: ConversationSignal) => void): () => void {
    this.emitter.on(conversationId, listener);
    return () => this.emitter.off(conversationId, listener);
  }
}

export interface DirectLineAdapterOptions {
  log: ConversationLog;
  /**
   * The conversation lock shared by all instances. Held from logging a client activity to the end
   * of its turn, so turns run in the order the log shows, whichever instances receive the messages,
   * and a duplicate delivery waits for its original's turn. Turns of one conversation never overlap:
   * a person's messages are read in order. Pass the lock the turn middleware takes (it re-enters
   * it); absent: a lock of this process only.
   */
  lock?: ConversationLock;
  signals?: ConversationSignals;
  bot?: ChannelAccount;
  /**
   * What of a client message's text the log may keep (the privacy boundary); asked under the lock,
   * before appending, with a context for the activity. Absent: the text is kept as sent.
   */
  storedText?: (context: TurnContext) => Promise<string>;
}

type Logic = (context: TurnContext) => Promise<void>;

export class DirectLineAdapter extends BotAdapter {
  readonly log: ConversationLog;
  readonly signals: ConversationSignals;
  readonly botAccount: ChannelAccount;
  private readonly lock: ConversationLock;
  private readonly storedText: ((context: TurnContext) => Promise<string>) | undefined;

  constructor(options: DirectLineAdapterOptions) {
    super();
    this.log = options.log;
    this.signals = options.signals ?? new ConversationSignals();
    this.botAccount = options.bot ?? { id: 'forbear', name: 'Forbear', role: 'bot' };
    this.lock = options.lock ?? new MemoryConversationLock();
    this.storedText = options.storedText;
  }

  /**
   * Records a client activity and runs the bot on it, unless it is a retry (same `dedupeKey`) of one
   * whose turn completed. Completion, not receipt, settles a delivery: a message logged by a
   * delivery that failed before its turn ended (the instance died, the store went down) is answered
   * when the client retries it, at its place in the log. Answers the activity id either way.
   */
  async receive(
    conversationId: string,
    activity: Partial<Activity>,
    logic: Logic,
    dedupeKey?: string,
  ): Promise<{ id: string; duplicate: boolean }> {
    const incoming: Partial<Activity> = {
      ...activity,
      channelId: DIRECT_LINE_CHANNEL_ID,
      serviceUrl: DIRECT_LINE_SERVICE_URL,
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      recipient: this.botAccount,
      timestamp: new Date(),
    };
    // Typing from the client is shown to other viewers but is not conversation history.
    if (incoming.type === ActivityTypes.Typing) {
      const id = `${conversationId}|typing-${randomUUID()}`;
      this.signals.publish(conversationId, { kind: 'ephemeral', activity: { ...incoming, id } });
      return { id, duplicate: false };
    }
    const logAndRun = async () => {
      // One context for the privacy boundary and the turn: the conversation state the boundary
      // loads (and its verdict on the text) stay cached on it, so the turn does not read them again.
      const context = new TurnContext(this, { ...incoming });
      // The log is read back by the client and kept in Redis: it holds the text as the privacy boundary stores it.
      const logged = this.storedText && typeof incoming.text === 'string' ? { ...incoming, text: await this.storedText(context) } : incoming;
      const { seq, duplicate, completed } = await this.log.append(conversationId, logged, dedupeKey);
      const id = activityId(conversationId, seq);
      if (completed) return { id, duplicate };
      if (!duplicate) this.signals.publish(conversationId, { kind: 'appended' });
      context.activity.id = id;
      await this.runMiddleware(context, logic);
      // A failure before this line (the turn threw, the store went down) leaves the delivery pending for the retry.
      // A crash between the turn's replies and this mark makes the retry run the turn again: its
      // effects are idempotent where it matters (one arrangement per conversation, state by eTag).
      if (dedupeKey !== undefined) await this.log.complete(conversationId, dedupeKey);
      return { id, duplicate };
    };
    // Under the lock a duplicate also waits for the original's turn, and finds it completed.
    return this.lock.withLock(conversationId, logAndRun);
  }

  /** Runs the bot on an activity that is not stored (the conversationUpdate that opens a chat). */
  async processActivity(activity: Partial<Activity>, logic: Logic): Promise<void> {
    const conversationId = activity.conversation?.id;
    if (conversationId === undefined) throw new Error('activity without conversation id');
    const full: Partial<Activity> = {
      ...activity,
      channelId: DIRECT_LINE_CHANNEL_ID,
      serviceUrl: DIRECT_LINE_SERVICE_URL,
      recipient: this.botAccount,
      timestamp: new Date(),
    };
    // Taken here, before the turn middleware re-enters it, as `receive` does: one lock order for both.
    await this.lock.withLock(conversationId, () => this.runMiddleware(new TurnContext(this, full), logic));
  }

  /** A turn's replies go into the log together (one store round trip); typing and delays keep their place. */
  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    let held: { conversationId: string; activity: Partial<Activity> }[] = [];
    const store = async () => {
      if (held.length === 0) return;
      const batch = held;
      held = [];
      const conversationId = batch[0]!.conversationId;
      const first = await this.log.appendReplies(conversationId, batch.map((b) => b.activity));
      // A Redis log may hold the replies back until the turn's commit (bot/storage/redisCommit.ts): streams hear of them then.
      void afterCommit(conversationId, () => this.signals.publish(conversationId, { kind: 'appended' }));
      batch.forEach((_, i) => responses.push({ id: activityId(conversationId, first + i) }));
    };
    for (const activity of activities) {
      const conversationId = activity.conversation?.id ?? context.activity.conversation.id;
      if (held.length > 0 && held[0]!.conversationId !== conversationId) await store();
      if (activity.type === 'delay') {
        await store();
        await new Promise((resolve) => setTimeout(resolve, typeof activity.value === 'number' ? activity.value : 1000));
        responses.push({ id: '' });
        continue;
      }
      const outgoing: Partial<Activity> = {
        ...activity,
        channelId: DIRECT_LINE_CHANNEL_ID,
        from: personOf(activity) ?? activity.from ?? this.botAccount,
        conversation: { ...activity.conversation, id: conversationId } as Activity['conversation'],
        timestamp: new Date(),
      };
      if (activity.type === ActivityTypes.Typing) {
        await store();
        const id = `${conversationId}|typing-${randomUUID()}`;
        this.signals.publish(conversationId, { kind: 'ephemeral', activity: { ...outgoing, id } });
        responses.push({ id });
        continue;
      }
      held.push({ conversationId, activity: outgoing });
    }
    await store();
    return responses;
  }

  async updateActivity(): Promise<void> {
    throw new Error('Direct Line does not support updating a sent activity');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('Direct Line does not support deleting a sent activity');
  }

  async continueConversation(reference: Partial<ConversationReference>, logic: Logic): Promise<void> {
    await this.runMiddleware(new TurnContext(this, continuationActivity(reference)), logic);
  }

  /** No channel service to authenticate against: the app id / claims are accepted and unused. */
  override async continueConversationAsync(
    _botAppIdOrClaims: string | ClaimsIdentity,
    reference: Partial<ConversationReference>,
    logicOrAudience: Logic | string,
    maybeLogic?: Logic,
  ): Promise<void> {
    await this.continueConversation(reference, continuationLogic(logicOrAudience, maybeLogic));
  }
}

/** A person's message (an agent's reply) is sent from that person, so clients can tell it from the bot's. */
function personOf(activity: Partial<Activity>): Activity['from'] | undefined {
  const name = (activity.channelData as { agent?: unknown } | undefined)?.agent;
  return typeof name === 'string' ? { id: `agent:${name}`, name, role: 'bot' } : undefined;
}
