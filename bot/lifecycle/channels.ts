/**
 * Where scheduled contact goes. WeChat: a customer-service message while the follower's 48-hour
 * window is open (they wrote to us within 48 hours), a template message outside it — both through
 * the channel's own WeChat API client, so they share its access-token cache. Web Chat has no way
 * to reach someone who is not on the page, so messages wait in the cardholder's inbox and are shown
 * when they next open the page and are verified.
 */
import { z } from 'zod';
import type { Stores } from '../storage/index.js';
import type { TranscriptStore } from '../transcripts/store.js';
import type { Clock } from '../../conversation/clock.js';
import type { ContactChannel, Outreach } from './scheduler.js';

export const WINDOW_MS = 48 * 3600 * 1000;

export const InboxMessage = z.object({ key: z.string(), text: z.string(), messageKey: z.string(), at: z.string(), conversationId: z.string() });
export type InboxMessage = z.infer<typeof InboxMessage>;

export class WebChatInbox implements ContactChannel {
  private readonly inbox;

  constructor(stores: Stores, private readonly clock: Clock) {
    this.inbox = stores.keyValue({ namespace: 'webchat-inbox', schema: z.array(InboxMessage), scope: 'global' });
  }

  async send(o: Outreach): Promise<boolean> {
    const message = { key: o.key, text: o.text, messageKey: o.messageKey, at: this.clock.now().toISOString(), conversationId: o.conversationId };
    await this.inbox.update(o.accountId, (list) => (list?.some((m) => m.key === o.key) ? list : [...(list ?? []), message]));
    return true;
  }

  /** The waiting messages, removed as they are handed over (the caller shows them). */
  async take(accountId: string): Promise<InboxMessage[]> {
    // Nearly always nothing waits: answered by a read, so verifying does not store an empty inbox
    // (0.2 KiB, no TTL) for every cardholder. A message sent after this read waits for the next take.
    if ((await this.peek(accountId)).length === 0) return [];
    let taken: InboxMessage[] = [];
    await this.inbox.update(accountId, (list) => {
      taken = list ?? [];
      return [];
    });
    return taken;
  }

  async peek(accountId: string): Promise<InboxMessage[]> {
    return (await this.inbox.get(accountId)) ?? [];
  }
}

export interface WeChatSender {
  sendText(openId: string, content: string): Promise<void>;
  sendTemplate?(openId: string, templateId: string, data: Record<string, string>): Promise<void>;
}

export class WeChatContact implements ContactChannel {
  constructor(
    private readonly sender: WeChatSender,
    private readonly openIdOf: (conversationId: string) => string,
    private readonly transcripts: TranscriptStore,
    private readonly clock: Clock,
    private readonly templateId: string | undefined,
  ) {}

  /** When the follower last wrote to us (WeChat's 48-hour customer-service window starts there). */
  private async lastInbound(conversationId: string): Promise<number | null> {
    const records = await this.transcripts.read(conversationId);
    const last = records.filter((r) => r.kind === 'activity' && r.actor === 'cardholder').at(-1);
    return last ? Date.parse(last.at) : null;
  }

  async send(o: Outreach): Promise<boolean> {
    const openId = this.openIdOf(o.conversationId);
    const last = await this.lastInbound(o.conversationId);
    if (last !== null && this.clock.now().getTime() - last < WINDOW_MS) {
      await this.sender.sendText(openId, o.text);
      return true;
    }
    if (!this.templateId || !this.sender.sendTemplate) return false;
    await this.sender.sendTemplate(openId, this.templateId, { content: o.text });
    return true;
  }
}
