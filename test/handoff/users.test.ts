import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORDS, authenticate, loadConsoleUsers, passwordMatches } from '../../bot/auth/users.js';

const usersCli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bot/auth/cli.ts', ...args], { encoding: 'utf8' });

describe('console users', () => {
  it('hashes with the CLI and authenticates against CONSOLE_USERS', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/auth/cli.ts', 'hash', 'correct horse'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const hash = run.stdout.trim();
    expect(await passwordMatches('correct horse', hash)).toBe(true);
    const { users, demo } = loadConsoleUsers(`li:supervisor:${hash}`);
    expect(demo).toBe(false);
    expect((await authenticate(users, 'li', 'correct horse'))?.role).toBe('supervisor');
    expect(await authenticate(users, 'li', 'wrong')).toBeNull();
    expect(await authenticate(users, 'nobody', 'correct horse')).toBeNull();
  });

  it('lets each demo user in with the documented password, and no other', async () => {
    const { users, demo } = loadConsoleUsers(undefined);
    expect(demo).toBe(true);
    expect(users.map((u) => u.role).sort()).toEqual(Object.keys(DEMO_PASSWORDS).sort());
    for (const u of users) {
      expect((await authenticate(users, u.name, DEMO_PASSWORDS[u.role]))?.role, u.name).toBe(u.role);
      expect(await authenticate(users, u.name, `${DEMO_PASSWORDS[u.role]}x`), u.name).toBeNull();
    }
  });

  it('refuses a malformed entry naming it, and a short password', () => {
    expect(() => loadConsoleUsers('li:boss:plaintext')).toThrow(/entry 1: role/);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/auth/cli.ts', 'hash', 'short'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--password/);
  });

  it('gives each person a display name distinct from the login id, validated in the entry and by the CLI', async () => {
    const run = usersCli('entry', 'li.na', 'agent', '李娜', 'correct horse');
    expect(run.status).toBe(0);
    const entry = run.stdout.trim();
    expect(entry).toMatch(/^li\.na:agent:scrypt\$[^:]+:李娜$/);
    const { users } = loadConsoleUsers(entry);
    expect(users[0]).toMatchObject({ name: 'li.na', role: 'agent', displayName: '李娜' });
    expect((await authenticate(users, 'li.na', 'correct horse'))?.displayName).toBe('李娜');
    // Left off: the login name is shown, as before display names existed.
    const hash = entry.split(':')[2]!;
    expect(loadConsoleUsers(`wang:supervisor:${hash}`).users[0]!.displayName).toBe('wang');
    // The demo users have names of their own.
    expect(loadConsoleUsers(undefined).users.map((u) => [u.name, u.displayName])).toContainEqual(['agent', '林晓']);
    expect(() => loadConsoleUsers(`li:agent:${hash}:<script>`)).toThrow(/entry 1: displayName/);
    expect(() => loadConsoleUsers(`li:agent:${hash}:李:娜`)).toThrow(/entry 1: displayName/);
    const bad = usersCli('entry', 'li.na', 'agent', '{name}', 'correct horse');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--displayName/);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(usersCli('entry', 'li.na', 'boss', '李娜', 'correct horse').stderr).toMatch(/--role/);
  });
});
