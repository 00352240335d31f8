import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { authenticate, loadConsoleUsers, passwordMatches } from '../../bot/auth/users.js';

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

  it('refuses a malformed entry naming it, and a short password', () => {
    expect(() => loadConsoleUsers('li:boss:plaintext')).toThrow(/entry 1: role/);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bot/auth/cli.ts', 'hash', 'short'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--password/);
  });
});
