/**
 * Bot Framework adapter for a WeChat Official Account. One conversation per follower (OpenID);
 * replies are collected while WeChat still waits for the HTTP answer (passive reply) and go
 * through the customer-service API once that window has passed or for proactive messages.
 */
import { randomUUID } from 'node:crypto';
import {
  type Activity,
  ActivityTypes,
  BotAdapter,
  type ChannelAccount,
  type ConversationReference,
  type ResourceResponse,
  TurnContext,
} from 'botbuilder-core';
import type { Logger } from '../../logger.js';
import { type KeyValueStore, MemoryKeyValueStore } from '../../storage/keyValue.js';
import type { Language } from '../../../conversation/language.js';
import type { CustomerServiceSender } from './api.js';
import { type Choice, Choices, pickChoice, renderActivity } from './render.js';
import type { EventMessage, TextMessage } from './xml.js';
import { continuationActivity, continuationLogic } from '../continuation.js';

export const WECHAT_CHANNEL_ID = 'wechat';
const CONVERSATION_PREFIX = 'wechat:';
/** Numbered choices older than this are forgotten: a "1" a day later is just text again. */
const CHOICES_TTL_SEC = 24 * 3600;
const DELIVERY = Symbol('wechat.delivery');

/** The follower's last numbered choices, keyed by conversation id (`Stores.keyValue(CHOICE_STORE)` in production). */
export type ChoiceStore = Pick<KeyValueStore<Choice[]>, 'get' | 'set'>;
export const CHOICE_STORE = { namespace: 'wechat-choices', schema: Choices, scope: 'conversation' } as const;

export type BotLogic = (context: TurnContext) => Promise<void>;

export function conversationIdOf(openId: string): string {
  return `${CONVERSATION_PREFIX}${openId}`;
}

export function openIdOf(conversationId: string | undefined): string {
  if (!conversationId?.startsWith(CONVERSATION_PREFIX) || conversationId.length === CONVERSATION_PREFIX.length) {
    throw new Error('not a WeChat conversation');
  }
  return conversationId.slice(CONVERSATION_PREFIX.length);
}

/**
 * Where one turn's replies go. While WeChat's request is open they are collected for one passive
 * reply (WeChat shows only one); once the window closes they go out in order as customer-service
 * messages. Whichever happens first wins, so nothing is delivered twice.
 */
class Delivery {
  private mode: 'collecting' | 'passive' | 'async' = 'collecting';
  private buffer: string[] = [];
  private passiveText: string | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly openId: string,
    private readonly sender: CustomerServiceSender,
  ) {}

  deliver(text: string): Promise<void> {
    if (this.mode === 'collecting') {
      this.buffer.push(text);
      return Promise.resolve();
    }
    return this.enqueue(text);
  }

  /** The turn finished while a request was still waiting: its texts become the passive reply. */
  takePassive(): string | undefined {
    if (this.mode === 'collecting') {
      this.mode = 'passive';
      this.passiveText = this.buffer.length > 0 ? this.buffer.join('\n\n') : undefined;
      this.buffer = [];
    }
    return this.mode === 'passive' ? this.passiveText : undefined;
  }

  /** WeChat got "success"; what was collected so far, and everything after, goes by customer-service API. */
  goAsync(): void {
    if (this.mode !== 'collecting') return;
    this.mode = 'async';
    // Failures are logged by the sender; the bot already moved on from these messages.
    for (const text of this.buffer) this.enqueue(text).catch(() => undefined);
    this.buffer = [];
  }

  private enqueue(text: string): Promise<void> {
    const sent = this.queue.then(() => this.sender.sendText(this.openId, text));
    this.queue = sent.catch(() => undefined);
    return sent;
  }
}

/** One inbound message being handled; retries of the same MsgId share it. */
export class WeChatTurn {
  constructor(
    /** Settles (never rejects) when the bot's turn is over. */
    readonly done: Promise<void>,
    private readonly delivery: Delivery,
  ) {}

  /**
   * Waits up to `windowMs` for the turn. Returns the passive-reply text, or `undefined` when the
   * HTTP answer must be "success" (nothing to say, or the replies go by customer-service API).
   */
  async passiveReply(windowMs: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const window = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, windowMs, false);
    });
    const inTime = await Promise.race([this.done.then(() => true as const), window]);
    clearTimeout(timer);
    if (inTime) return this.delivery.takePassive();
    this.delivery.goAsync();
    return undefined;
  }
}

export interface WeChatAdapterOptions {
  sender: CustomerServiceSender;
  logger: Logger;
  /** Locale of inbound activities and language of channel texts; default zh-CN. */
  locale?: Language;
  /** Remembers the last numbered choices per follower; in-memory unless a shared store is given. */
  choices?: ChoiceStore;
  /** Put into conversation references; it identifies the WeChat API the replies go through. */
  serviceUrl?: string;
}

/** An inbound message the bot should see: text, or the follow (subscribe) event. */
export type TurnMessage = TextMessage | EventMessage;

export class WeChatAdapter extends BotAdapter {
  readonly locale: Language;
  /** Also used by scheduled contact, so both share the API client's token cache. */
  readonly sender: CustomerServiceSender;
  private readonly logger: Logger;
  private readonly choices: ChoiceStore;
  private readonly serviceUrl: string;
  /** Turns of one follower run one after another, so two quick messages never race on dialog state. */
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(options: WeChatAdapterOptions) {
    super();
    this.sender = options.sender;
    this.logger = options.logger;
    this.locale = options.locale ?? 'zh-CN';
    this.choices = options.choices ?? new MemoryKeyValueStore(CHOICE_STORE);
    this.serviceUrl = options.serviceUrl ?? 'https://api.weixin.qq.com';
  }

  /** Starts the bot's turn for one inbound message; the caller decides how long WeChat can wait. */
  receive(message: TurnMessage, logic: BotLogic): WeChatTurn {
    const openId = message.FromUserName;
    const delivery = new Delivery(openId, this.sender);
    const previous = this.lanes.get(openId) ?? Promise.resolve();
    const done = previous.then(() => this.runTurn(message, delivery, logic));
    this.lanes.set(openId, done);
    void done.finally(() => {
      if (this.lanes.get(openId) === done) this.lanes.delete(openId);
    });
    return new WeChatTurn(done, delivery);
  }

  private async runTurn(message: TurnMessage, delivery: Delivery, logic: BotLogic): Promise<void> {
    try {
      const activity = await this.toActivity(message);
      const context = new TurnContext(this, activity);
      context.turnState.set(DELIVERY, delivery);
      await this.runMiddleware(context, logic);
    } catch (error) {
      this.logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'wechat turn failed');
    }
  }

  private async toActivity(message: TurnMessage): Promise<Partial<Activity>> {
    // WeChat never tells a follower's name to the server; the OpenID is all there is.
    const user: ChannelAccount = { id: message.FromUserName, name: '', role: 'user' };
    const bot: ChannelAccount = { id: message.ToUserName, name: '', role: 'bot' };
    const common: Partial<Activity> = {
      channelId: WECHAT_CHANNEL_ID,
      serviceUrl: this.serviceUrl,
      conversation: { id: conversationIdOf(message.FromUserName), isGroup: false, conversationType: 'personal', name: '' },
      from: user,
      recipient: bot,
      locale: this.locale,
      timestamp: new Date(message.CreateTime * 1000),
      channelData: { MsgType: message.MsgType },
    };
    if (message.MsgType === 'event') {
      return { ...common, type: ActivityTypes.ConversationUpdate, id: randomUUID(), membersAdded: [user] };
    }
    const choice = pickChoice(message.Content, (await this.choices.get(conversationIdOf(message.FromUserName))) ?? []);
    return {
      ...common,
      type: ActivityTypes.Message,
      id: message.MsgId,
      text: choice === undefined ? message.Content : typeof choice.value === 'string' ? choice.value : choice.title,
      ...(choice !== undefined && typeof choice.value !== 'string' ? { value: choice.value } : {}),
    };
  }

  override async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const delivery: Delivery | undefined = context.turnState.get(DELIVERY);
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      responses.push({ id: randomUUID() });
      const rendered = renderActivity(activity, this.locale);
      if (rendered === undefined) continue;
      const openId = openIdOf(activity.conversation?.id);
      // The latest message decides what a digit means, as the latest suggested actions do in Web Chat.
      await this.choices.set(conversationIdOf(openId), rendered.choices, CHOICES_TTL_SEC);
      if (delivery?.openId === openId) await delivery.deliver(rendered.text);
      else await this.sender.sendText(openId, rendered.text);
    }
    return responses;
  }

  override async updateActivity(): Promise<void> {
    throw new Error('WeChat messages cannot be edited once sent');
  }

  override async deleteActivity(): Promise<void> {
    throw new Error('WeChat messages cannot be recalled by the bot');
  }

  /** Proactive messages (e.g. a human agent's reply relayed to the follower) go by customer-service API. */
  override async continueConversation(reference: Partial<ConversationReference>, logic: BotLogic): Promise<void> {
    openIdOf(reference.conversation?.id);
    await this.runMiddleware(new TurnContext(this, continuationActivity(reference)), logic);
  }

  /** WeChat has no Bot Framework identity to check: the app id / claims are accepted and unused. */
  override async continueConversationAsync(
    _botAppIdOrClaims: unknown,
    reference: Partial<ConversationReference>,
    logicOrAudience: BotLogic | string,
    maybeLogic?: BotLogic,
  ): Promise<void> {
    await this.continueConversation(reference, continuationLogic(logicOrAudience, maybeLogic));
  }
}
