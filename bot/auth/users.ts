/**
 * Console users (agents, supervisors, compliance reviewers) from configuration. Passwords are kept
 * only as scrypt hashes and compared in constant time; with nothing configured, documented demo
 * users exist so `npm start` is usable at once (a warning says so).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** `operations` reads the outcome dashboard (/ops) and nothing else. */
export const ConsoleRole = z.enum(['agent', 'supervisor', 'compliance', 'operations']);
export type ConsoleRole = z.infer<typeof ConsoleRole>;

export const ConsoleUser = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only'),
  role: ConsoleRole,
  /** `scrypt$<salt base64>$<hash base64>` */
  hash: z.string().regex(/^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be scrypt$<salt>$<hash> (npm run -s users -- hash <password>)'),
});
export type ConsoleUser = z.infer<typeof ConsoleUser>;

const KEY_LENGTH = 32;

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, KEY_LENGTH).toString('base64')}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash ?? '', 'base64');
  const actual = scryptSync(password, Buffer.from(salt ?? '', 'base64'), KEY_LENGTH);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export const DEMO_PASSWORDS: Readonly<Record<ConsoleRole, string>> = {
  agent: 'agent-demo',
  supervisor: 'supervisor-demo',
  compliance: 'compliance-demo',
  operations: 'operations-demo',
};

/** `CONSOLE_USERS=name:role:scrypt$salt$hash,…`; unset → the demo users (`demo: true`). */
export function loadConsoleUsers(value: string | undefined): { users: ConsoleUser[]; demo: boolean } {
  if (value === undefined || value.trim() === '') {
    const users = ConsoleRole.options.map((role) => ({ name: role, role, hash: hashPassword(DEMO_PASSWORDS[role]) }));
    return { users, demo: true };
  }
  const users = value.split(',').map((entry, i) => {
    const [name, role, ...hash] = entry.trim().split(':');
    const parsed = ConsoleUser.safeParse({ name, role, hash: hash.join(':') });
    if (!parsed.success) {
      throw new Error(`CONSOLE_USERS entry ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    return parsed.data;
  });
  return { users, demo: false };
}

export function authenticate(users: readonly ConsoleUser[], name: string, password: string): ConsoleUser | null {
  const user = users.find((u) => u.name === name);
  // A missing user still costs one scrypt, so timing does not tell which names exist.
  const ok = passwordMatches(password, user?.hash ?? hashPassword('x'));
  return user && ok ? user : null;
}
