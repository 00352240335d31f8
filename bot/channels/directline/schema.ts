/** What a Direct Line client may send. Server-owned fields (id, conversation, recipient…) are not accepted. */
import { z } from 'zod';

const ClientAccount = z.object({
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  /** a client speaks as the user; it cannot pose as the bot */
  role: z.literal('user').optional(),
});

export const Locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'a BCP 47 language tag');

export const ClientActivity = z.object({
  /** conversationUpdate, invoke and the like are the service's to send, not a client's */
  type: z.enum(['message', 'event', 'typing']),
  from: ClientAccount,
  text: z.string().max(4000).optional(),
  textFormat: z.enum(['plain', 'markdown', 'xml']).optional(),
  locale: Locale.optional(),
  name: z.string().max(256).optional(),
  value: z.unknown().optional(),
  replyToId: z.string().max(256).optional(),
  localTimestamp: z.string().max(64).optional(),
  localTimezone: z.string().max(64).optional(),
  entities: z.array(z.record(z.string(), z.unknown())).max(16).optional(),
  channelData: z
    .looseObject({
      /** Web Chat's own id for the activity: a retried POST carries the same one */
      clientActivityID: z.string().min(1).max(128).optional(),
    })
    .optional(),
});
export type ClientActivity = z.infer<typeof ClientActivity>;

/** Body of "start conversation"; Direct Line clients send the user and the locale. */
export const StartConversation = z
  .object({
    user: z.object({ id: z.string().min(1).max(256).optional(), name: z.string().max(256).optional() }).optional(),
    locale: Locale.optional(),
  })
  .optional();

/** `watermark` query: the seq of the last activity the client holds; blank means from the start. */
export const Watermark = z
  .union([z.literal(''), z.string().regex(/^\d{1,9}$/, 'a watermark is a non-negative integer')])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : Number(v)));

export const ConversationIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'not a conversation id');
