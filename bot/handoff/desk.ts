/**
 * The handoff desk: where a case goes when the bot reaches its limits. Each handed-off
 * conversation gets a ticket (who, why, how urgent, how to reach them on their channel) and a
 * place in the queue, kept in the shared stores so any instance's agent console sees it.
 */
import { TurnContext } from 'botbuilder';
import { z } from 'zod';
import { Handoff, HandoffUrgency } from '../../policy/model.js';
import { Language } from '../understanding/schema.js';
import type { CaseFile } from '../case.js';
import type { Clock } from '../clock.js';
import type { KeyValueStore, Stores } from '../storage/index.js';
import type { HandoffDesk } from '../../dialogs/services.js';

export const TicketStatus = z.enum(['waiting', 'claimed', 'closed']);

export const HandoffTicket = z.object({
  conversationId: z.string(),
  /** Bot Framework conversation reference: how to reach the cardholder on their own channel. */
  reference: z.record(z.string(), z.unknown()),
  channelId: z.string(),
  language: Language,
  accountId: z.string().nullable(),
  handoff: Handoff,
  status: TicketStatus,
  openedAt: z.string(),
});
export type HandoffTicket = z.infer<typeof HandoffTicket>;

export const QueueEntry = z.object({ conversationId: z.string(), urgency: HandoffUrgency, openedAt: z.string() });
const Queue = z.array(QueueEntry);

const URGENCY_RANK = { critical: 0, high: 1, normal: 2 } as const;

/** Most urgent first, then longest waiting. */
export function queueOrder(a: z.infer<typeof QueueEntry>, b: z.infer<typeof QueueEntry>): number {
  return URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] || a.openedAt.localeCompare(b.openedAt);
}

export class QueueDesk implements HandoffDesk {
  readonly tickets: KeyValueStore<HandoffTicket>;
  private readonly queue: KeyValueStore<z.infer<typeof Queue>>;

  constructor(
    stores: Stores,
    private readonly clock: Clock,
  ) {
    this.tickets = stores.keyValue({ namespace: 'handoff-ticket', schema: HandoffTicket, scope: 'conversation' });
    this.queue = stores.keyValue({ namespace: 'handoff-queue', schema: Queue, scope: 'global' });
  }

  async open(context: TurnContext, file: CaseFile, handoff: Handoff): Promise<void> {
    const conversationId = context.activity.conversation.id;
    const openedAt = this.clock.now().toISOString();
    await this.tickets.set(conversationId, {
      conversationId,
      reference: { ...TurnContext.getConversationReference(context.activity) },
      channelId: context.activity.channelId,
      language: file.language,
      accountId: file.accountId,
      handoff,
      status: 'waiting',
      openedAt,
    });
    await this.queue.update('open', (current = []) =>
      [...current.filter((e) => e.conversationId !== conversationId), { conversationId, urgency: handoff.urgency, openedAt }].sort(queueOrder),
    );
  }

  async waiting(): Promise<z.infer<typeof Queue>> {
    return (await this.queue.get('open')) ?? [];
  }
}
