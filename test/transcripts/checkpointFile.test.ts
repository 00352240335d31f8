/**
 * The checkpoint file of a process is opened once and kept open for appending (it was opened and
 * closed for every write, one of each a turn): every checkpoint still reaches the file, in order,
 * before its append resolves, and other readers see them.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Chain } from '../../bot/transcripts/chain.js';
import { FileCheckpointLog } from '../../bot/transcripts/checkpoints.js';
import { TEST_CHAIN_KEY } from './fixtures.js';

/** Descriptors of this process open on `file` (Linux: /proc/self/fd). */
const openOn = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // the directory's own descriptor, already closed
    }
  }).length;

describe('FileCheckpointLog', () => {
  it('appends through one descriptor kept open, each write in the file when its append resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forbear-checkpoint-file-'));
    const log = new FileCheckpointLog(dir);
    const chain = new Chain(TEST_CHAIN_KEY);
    const checkpoint = (n: number) => chain.checkpoint(`c${String(n % 3)}`, { seq: n, hash: 'a'.repeat(64) }, new Date(Date.UTC(2026, 11, 1, 0, 0, n)).toISOString());

    await log.append([checkpoint(1)]);
    expect(readFileSync(log.file, 'utf8').trim().split('\n')).toHaveLength(1);
    // Some one at a time, some arriving together (written together, group commit).
    for (let n = 2; n <= 20; n++) await log.append([checkpoint(n)]);
    await Promise.all([21, 22, 23, 24].map((n) => log.append([checkpoint(n)])));

    const lines = readFileSync(log.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(openOn(log.file)).toBe(1);
    // Another reader of the directory (another instance, the verifier) sees the last of each conversation.
    expect((await new FileCheckpointLog(dir).latest('c0'))?.seq).toBe(24);
  });

  it('close waits for pending appends and releases the file; a later append opens it again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forbear-checkpoint-file-'));
    const log = new FileCheckpointLog(dir);
    const chain = new Chain(TEST_CHAIN_KEY);
    const checkpoint = (n: number) => chain.checkpoint('c', { seq: n, hash: 'b'.repeat(64) }, new Date(Date.UTC(2026, 11, 1, 0, 0, n)).toISOString());
    const appending = log.append([checkpoint(1)]);
    await log.close();
    await appending;
    expect(readFileSync(log.file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(openOn(log.file)).toBe(0);
    await log.append([checkpoint(2)]);
    expect(openOn(log.file)).toBe(1);
    await log.close();
    expect((await new FileCheckpointLog(dir).latest('c'))?.seq).toBe(2);
  });
});
