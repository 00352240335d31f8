/**
 * Console password checks: an unknown name costs exactly the work of a known one (no user
 * enumeration by timing), and hashing runs off the main thread (40 logins do not stall /healthz).
 * Counted, not timed: the key derivations are counted and the event loop's turns are counted.
 */
import { describe, expect, it, vi } from 'vitest';

const derivations = { sync: 0, async: 0 };
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    scryptSync: (...args: Parameters<typeof real.scryptSync>) => {
      derivations.sync++;
      return real.scryptSync(...args);
    },
    scrypt: (...args: unknown[]) => {
      derivations.async++;
      return (real.scrypt as (...a: unknown[]) => void)(...args);
    },
  };
});

const { authenticate, hashPassword } = await import('../../bot/auth/users.js');

describe('console password checks', () => {
  const users = [{ name: 'li', role: 'supervisor' as const, hash: hashPassword('correct horse'), displayName: 'Li' }];

  it('does the same key derivation work for an unknown name as for a known one', async () => {
    const count = async (name: string) => {
      const before = derivations.sync + derivations.async;
      await authenticate(users, name, 'wrong password');
      return derivations.sync + derivations.async - before;
    };
    expect(await count('nobody')).toBe(await count('li'));
    expect(await authenticate(users, 'li', 'correct horse')).toMatchObject({ role: 'supervisor' });
    expect(await authenticate(users, 'nobody', 'correct horse')).toBeNull();
  });

  it('hashes asynchronously: the event loop keeps turning during 10 concurrent logins', async () => {
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const before = derivations.sync;
    await Promise.all(Array.from({ length: 10 }, () => authenticate(users, 'li', 'wrong password')));
    running = false;
    expect(derivations.sync - before).toBe(0);
    expect(turns).toBeGreaterThan(1);
  });
});
