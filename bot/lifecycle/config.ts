/** Environment variables of the after-the-agreement parts: payments in, events out, scheduled contact. */
import { z } from 'zod';
import { intFromEnv, optionalString } from '../http/env.js';

const Secret = (name: string) => optionalString.pipe(z.string().min(32, `${name} must be at least 32 characters`).optional());

export const LifecycleConfig = z.object({
  /** Shared with the issuer's payment system; unset = `POST /api/payments` answers 503 (nothing can be verified). */
  PAYMENTS_WEBHOOK_SECRET: Secret('PAYMENTS_WEBHOOK_SECRET'),
  /** A signed request older or newer than this is refused as a replay. */
  PAYMENTS_WEBHOOK_TOLERANCE_SEC: intFromEnv(300, 10, 3600),
  /** Where arrangement events are delivered (the system of record); unset = the local log and the console. */
  OUTBOX_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
  OUTBOX_WEBHOOK_SECRET: Secret('OUTBOX_WEBHOOK_SECRET'),
  /** JSON lines of every event when no webhook is configured. */
  OUTBOX_LOG: z.string().default('var/outbox.jsonl'),
  /** Delivery attempts before an event is kept as failed for people to look at. */
  OUTBOX_ATTEMPTS: intFromEnv(12, 1, 100),
  OUTBOX_BACKOFF_MS: intFromEnv(2000, 10, 3_600_000),
  OUTBOX_TIMEOUT_MS: intFromEnv(5000, 100, 60_000),
  /** WeChat template (模板消息) for reminders outside the 48-hour window; its one field is {{content.DATA}}. Unset = such reminders are recorded as unreachable. */
  WECHAT_REMINDER_TEMPLATE_ID: optionalString,
  /** Signs the cardholder's link to their printable agreement (≥ 32 characters, the same on every instance); unset = random per process. */
  DOCUMENT_LINK_SECRET: Secret('DOCUMENT_LINK_SECRET'),
  /** The public address links are built on (https://bank.example/chat); unset = links relative to the chat page. */
  PUBLIC_BASE_URL: optionalString.pipe(z.url().optional()),
  /** Minutes between ledger assessments (late, missed, breach) of every active arrangement; 0 = off. */
  LEDGER_ASSESS_INTERVAL_MIN: intFromEnv(60, 0, 1440),
});
export type LifecycleConfig = z.infer<typeof LifecycleConfig>;
