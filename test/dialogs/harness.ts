/**
 * A whole Forbear (the same composition as `npm start`: real dialogs, policy, rule understanding,
 * transcript audit) on in-memory stores and a fixed clock, reached through the in-process channel.
 */
import type { Activity } from 'botbuilder';
import { createForbear, type Forbear, type ForbearOptions } from '../../bot/app.js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { fixedClock } from '../../conversation/clock.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';

export interface Harness {
  forbear: Forbear;
  adapter: LocalAdapter;
  /** Opens a conversation; returns the greeting turn. */
  open(conversationId: string, options?: { locale?: string; account?: string }): Promise<Partial<Activity>[]>;
  say(conversationId: string, text: string): Promise<Partial<Activity>[]>;
}

export async function harness(options: Partial<ForbearOptions> & { now?: string; configEnv?: Record<string, string> } = {}): Promise<Harness> {
  const forbear = await createForbear({
    config: loadConfig({ LOG_LEVEL: 'silent', ...options.configEnv }),
    clock: fixedClock(options.now ?? '2026-11-22T02:00:00Z'),
    logger: createLogger('silent'),
    ...options,
  });
  const adapter = new LocalAdapter(forbear.bot, 'test');
  adapter.use(forbear.transcriptMiddleware);
  const sessions = new Map<string, { locale?: string; channelData?: Record<string, unknown> }>();
  return {
    forbear,
    adapter,
    async open(conversationId, { locale, account } = {}) {
      const session = { locale, channelData: account ? { accountRef: account } : undefined };
      sessions.set(conversationId, session);
      return adapter.join(conversationId, session);
    },
    async say(conversationId, text) {
      return adapter.send(conversationId, { ...sessions.get(conversationId), text });
    },
  };
}

export const texts = (activities: Partial<Activity>[]) =>
  activities.filter((a) => a.type === 'message').map((a) => a.text ?? '');

export const events = (activities: Partial<Activity>[], name: string) =>
  activities.filter((a) => a.type === 'event' && a.name === name).map((a) => a.value as Record<string, unknown>);
