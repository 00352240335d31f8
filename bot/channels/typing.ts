/**
 * The typing indicator a slow turn (an LLM call) shows. Written here rather than botbuilder's
 * `ShowTypingMiddleware` because of how that one fails: when a typing activity cannot be sent (a
 * Bot Framework serviceUrl that does not answer), it calls the adapter's `onTurnError` from a
 * timer, outside the turn's promise — and the server's `onTurnError` throws a 503 for the HTTP
 * answer when it cannot apologise either, so the throw became an unhandled rejection that ended the
 * process. An indicator that cannot be sent is not the turn's failure: it is logged and dropped;
 * the turn's own replies report their failures through the turn.
 */
import { ActivityTypes, TurnContext, type Middleware } from 'botbuilder-core';
import type { Logger } from '../logger.js';

export function typingIndicator(logger: Logger, delayMs: number, periodMs: number): Middleware {
  return {
    async onTurn(context, next) {
      if (context.activity.type !== ActivityTypes.Message) return next();
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      const send = async () => {
        const typing = TurnContext.applyConversationReference(
          { type: ActivityTypes.Typing, relatesTo: context.activity.relatesTo },
          TurnContext.getConversationReference(context.activity),
        );
        try {
          // Straight to the adapter: not a reply of the turn (no transcript record, no `responded`).
          await context.adapter.sendActivities(context, [typing]);
        } catch (err) {
          logger.warn({ err, conversationId: context.activity.conversation?.id }, 'typing indicator not sent');
        }
        if (!finished) timer = setTimeout(() => void send(), periodMs);
      };
      timer = setTimeout(() => void send(), delayMs);
      try {
        await next();
      } finally {
        finished = true;
        clearTimeout(timer);
      }
    },
  };
}
