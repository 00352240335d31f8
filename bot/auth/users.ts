/**
 * Console users (agents, supervisors, compliance reviewers) from configuration. Passwords are kept
 * only as scrypt hashes and compared in constant time; with nothing configured, documented demo
 * users exist so `npm start` is usable at once (a warning says so).
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../http/env.js';

/** `operations` reads the outcome dashboard (/ops) and nothing else. */
export const ConsoleRole = z.enum(['agent', 'supervisor', 'compliance', 'operations']);
export type ConsoleRole = z.infer<typeof ConsoleRole>;

export const DisplayName = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} ·.'-]{0,31}$/u, "1–32 letters or digits (any script), spaces and · . ' - only");

export const ConsoleUser = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only'),
  role: ConsoleRole,
  /** `scrypt$<salt base64>$<hash base64>` */
  hash: z.string().regex(/^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be scrypt$<salt>$<hash> (npm run -s users -- hash <password>)'),
  /**
   * The name cardholders see ("客服 {displayName} 已加入对话", on every message the person sends):
   * never the login name, which stays in the audit trail. Words in any script, no ":" or ",".
   */
  displayName: DisplayName,
});
export type ConsoleUser = z.infer<typeof ConsoleUser>;

const KEY_LENGTH = 32;

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, KEY_LENGTH).toString('base64')}`;
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keyLength: number) => Promise<Buffer>;

/** On libuv's thread pool, so logins never stall the event loop (health checks, chats). */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash ?? '', 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt ?? '', 'base64'), KEY_LENGTH);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Compared against for a name that does not exist: one derivation, like a real user's, against a
 * hash no password produces (a random salt and an all-zero key).
 */
const DUMMY_HASH = `scrypt$${randomBytes(16).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

/** The demo users' display names: what a cardholder reads is a person's name, not a login id. */
export const DEMO_DISPLAY_NAMES: Readonly<Record<ConsoleRole, string>> = {
  agent: '林晓',
  supervisor: '陈静',
  compliance: '周敏',
  operations: '吴涛',
};

export const DEMO_PASSWORDS: Readonly<Record<ConsoleRole, string>> = {
  agent: 'agent-demo',
  supervisor: 'supervisor-demo',
  compliance: 'compliance-demo',
  operations: 'operations-demo',
};

/**
 * The demo passwords' scrypt hashes, derived once (`npm run -s users -- hash <password>`) and kept
 * here: deriving four at every start cost ≈ 160 ms of start-up CPU for passwords that are public
 * anyway. test/handoff/users.test.ts checks each still matches its password.
 */
const DEMO_HASHES: Readonly<Record<ConsoleRole, string>> = {
  agent: 'scrypt$GHpokXCr1mX/AKKgARj2SQ==$zmbZ7p33qIYxwdvBZN1tZIeqpOUq3iE+2GY/+ebi1SA=',
  supervisor: 'scrypt$cAW3XnZV/KNr8FDHB+LzfQ==$XDYLbMAfbOPg4z5TG4LZI8hfH6eGT3kw+CtEJrfPo/4=',
  compliance: 'scrypt$j/z4lBktBQ7FOe6vLTis9w==$1pY5TImQWGpWP+ksZvFWKWdNnO4k+jUyqrrWoUCiohI=',
  operations: 'scrypt$perEcCOrlzP6xWDBn5dY0A==$txbkgWaJkSS4XZtb7hHmAVNBf4rYw92k210TGSe9eQo=',
};

/**
 * `CONSOLE_USERS=name:role:scrypt$salt$hash:display name,…` (the display name may be left off: then
 * the login name is shown); unset → the demo users (`demo: true`).
 */
export function loadConsoleUsers(value: string | undefined): { users: ConsoleUser[]; demo: boolean } {
  if (value === undefined || value.trim() === '') {
    const users = ConsoleRole.options.map((role) => ({ name: role, role, hash: DEMO_HASHES[role], displayName: DEMO_DISPLAY_NAMES[role] }));
    return { users, demo: true };
  }
  const users = value.split(',').map((entry, i) => {
    const [name, role, hash, displayName, ...extra] = entry.trim().split(':');
    const parsed = ConsoleUser.safeParse({ name, role, hash, displayName: displayName ?? name });
    if (extra.length) throw new ConfigError([`CONSOLE_USERS entry ${i + 1}: displayName: must not contain ":"`]);
    if (!parsed.success) {
      throw new ConfigError([`CONSOLE_USERS entry ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`]);
    }
    return parsed.data;
  });
  return { users, demo: false };
}

/** Line for CONSOLE_USERS, validated like the loader validates it. */
export function consoleUserEntry(user: ConsoleUser): string {
  return `${user.name}:${user.role}:${user.hash}:${user.displayName}`;
}

export async function authenticate(users: readonly ConsoleUser[], name: string, password: string): Promise<ConsoleUser | null> {
  const user = users.find((u) => u.name === name);
  // A missing user costs exactly one derivation too, so timing does not tell which names exist.
  const ok = await passwordMatches(password, user?.hash ?? DUMMY_HASH);
  return user && ok ? user : null;
}
