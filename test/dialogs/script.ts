/**
 * Conversation scripts as data: a YAML file says what the cardholder types and what the bot must
 * (or must not) emit, so a new scenario needs no code. Text expectations are regular expressions;
 * event expectations name the event and may pin values by dotted path.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Activity } from 'botbuilder';

const Expectation = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ event: z.string(), value: z.record(z.string(), z.unknown()).optional() }).strict(),
]);

export const Script = z
  .object({
    name: z.string(),
    locale: z.string().optional(),
    /** The account the channel vouches for (a signed-in session); omitted = identify by card + DOB. */
    account: z.string().optional(),
    /** The clock the bot runs on, so due dates in expectations are stable. */
    now: z.string().default('2026-11-22T02:00:00Z'),
    turns: z.array(
      z
        .object({
          say: z.string(),
          expect: z.array(Expectation).default([]),
          forbid: z.array(Expectation).default([]),
        })
        .strict(),
    ),
  })
  .strict();
export type Script = z.infer<typeof Script>;
type Expectation = z.infer<typeof Expectation>;

export function loadScript(path: string): Script {
  return Script.parse(parse(readFileSync(path, 'utf8')));
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** The text a cardholder would read: message text plus card text. */
export function readable(activity: Partial<Activity>): string {
  const cards = (activity.attachments ?? []).map((a) => JSON.stringify(a.content ?? ''));
  return [activity.text ?? '', ...cards].join('\n');
}

export function matches(activities: Partial<Activity>[], e: Expectation): boolean {
  if ('text' in e) {
    const pattern = new RegExp(e.text, 'u');
    return activities.some((a) => a.type === 'message' && pattern.test(readable(a)));
  }
  return activities.some(
    (a) =>
      a.type === 'event' &&
      a.name === e.event &&
      Object.entries(e.value ?? {}).every(([path, expected]) => JSON.stringify(at(a.value, path)) === JSON.stringify(expected)),
  );
}

export function describeActivities(activities: Partial<Activity>[]): string {
  return activities
    .map((a) => (a.type === 'event' ? `[event ${a.name}] ${JSON.stringify(a.value).slice(0, 300)}` : `[${a.type}] ${readable(a)}`))
    .join('\n');
}
