/**
 * An in-process channel: the terminal chat and the simulator talk to the real bot through it, with
 * the same middleware and turn pipeline as Direct Line or WeChat, minus the network.
 */
import {
  ActivityTypes,
  BotAdapter,
  TurnContext,
  type Activity,
  type ConversationReference,
  type ResourceResponse,
} from 'botbuilder-core';
import { continuationActivity } from './continuation.js';

export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

export interface LocalMessage {
  text: string;
  locale?: string;
  /** What the channel vouches for, e.g. `{ accountRef }` for a signed-in cardholder. */
  channelData?: Record<string, unknown>;
}

export class LocalAdapter extends BotAdapter {
  private readonly outbox = new Map<string, Partial<Activity>[]>();
  /** Messages sent outside a cardholder turn (e.g. an agent's reply) wait here until read. */
  private readonly pending = new Map<string, Partial<Activity>[]>();
  private sequence = 0;

  constructor(
    private readonly bot: TurnRunner,
    private readonly channelId = 'local',
  ) {
    super();
  }

  /** One cardholder message in, every activity the bot sent during that turn out. */
  async send(conversationId: string, message: LocalMessage): Promise<Partial<Activity>[]> {
    return this.turn(conversationId, {
      type: ActivityTypes.Message,
      text: message.text,
      locale: message.locale,
      channelData: message.channelData,
    });
  }

  /** The cardholder opens the chat: the bot may greet first. */
  async join(conversationId: string, message: Omit<LocalMessage, 'text'> = {}): Promise<Partial<Activity>[]> {
    return this.turn(conversationId, {
      type: ActivityTypes.ConversationUpdate,
      membersAdded: [{ id: `${conversationId}:user`, name: 'cardholder' }],
      locale: message.locale,
      channelData: message.channelData,
    });
  }

  private async turn(conversationId: string, partial: Partial<Activity>): Promise<Partial<Activity>[]> {
    const activity = {
      ...this.addressing(conversationId),
      ...partial,
      id: `${conversationId}|in|${++this.sequence}`,
      timestamp: new Date(),
    } as Activity;
    const collected: Partial<Activity>[] = [];
    this.outbox.set(conversationId, collected);
    try {
      await this.runMiddleware(new TurnContext(this, activity), (ctx) => this.bot.run(ctx));
    } finally {
      this.outbox.delete(conversationId);
    }
    return collected;
  }

  private addressing(conversationId: string): Partial<Activity> {
    return {
      channelId: this.channelId,
      serviceUrl: 'local://',
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      from: { id: `${conversationId}:user`, name: 'cardholder', role: 'user' },
      recipient: { id: 'forbear', name: 'Forbear', role: 'bot' },
    };
  }

  override async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const conversationId = context.activity.conversation.id;
    const box = this.outbox.get(conversationId);
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (activity.type === 'delay') continue;
      (box ?? this.proactive(conversationId)).push(activity);
      responses.push({ id: `${conversationId}|out|${++this.sequence}` });
    }
    return responses;
  }

  private proactive(conversationId: string): Partial<Activity>[] {
    const list = this.pending.get(conversationId) ?? [];
    this.pending.set(conversationId, list);
    return list;
  }

  takeProactive(conversationId: string): Partial<Activity>[] {
    const list = this.pending.get(conversationId) ?? [];
    this.pending.delete(conversationId);
    return list;
  }

  override async updateActivity(): Promise<void> {
    throw new Error('the local channel cannot update sent messages');
  }

  override async deleteActivity(): Promise<void> {
    throw new Error('the local channel cannot delete sent messages');
  }

  override async continueConversation(
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    const conversationId = reference.conversation?.id;
    if (!conversationId) throw new Error('continueConversation needs reference.conversation.id');
    const activity = continuationActivity({ ...this.addressing(conversationId), ...reference } as Partial<ConversationReference>);
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }
}
