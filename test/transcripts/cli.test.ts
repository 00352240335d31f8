import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../bot/transcripts/cli.js';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import { FileCheckpointLog } from '../../bot/transcripts/checkpoints.js';
import { conversationEntries, TEST_CHAIN_KEY, testSealing } from './fixtures.js';

function io(store = new MemoryTranscriptStore()) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (s: PassThrough) => () => (s.read() as Buffer | null)?.toString() ?? '';
  return { io: { store, stdout, stderr, now: () => new Date('2024-06-01T00:00:00Z') }, out: text(stdout), err: text(stderr) };
}

describe('transcripts CLI (in process)', () => {
  it('exits 2 naming the bad field', async () => {
    const cases: [string[], RegExp][] = [
      [['export', '--from', '2024-02-30x', '--to', '2024-03-01'], /--from/],
      [['export', '--from', '2024-03-02', '--to', '2024-03-01'], /--from: must not be after --to/],
      [['export', '--from', '2024-03-01', '--to', '2024-03-01', '--format', 'xml'], /--format/],
      [['retention', '--older-than-days', 'soon'], /--older-than-days/],
      [['verify'], /<conversationId>/],
      [['verify', 'nope'], /no transcript "nope"/],
      [['frobnicate'], /command/],
    ];
    for (const [argv, message] of cases) {
      const t = io();
      expect(await run(argv, t.io)).toBe(2);
      expect(t.err()).toMatch(message);
    }
  });

  it('verifies, exports and expires against a store', async () => {
    const store = new MemoryTranscriptStore();
    for (const e of conversationEntries('2020-01-01T00:00:00.000Z')) await store.append('c1', e);
    let t = io(store);
    expect(await run(['verify', 'c1'], t.io)).toBe(0);
    expect(JSON.parse(t.out())).toEqual({ conversationId: 'c1', ok: true, records: 9 });
    t = io(store);
    expect(await run(['export', '--from', '2020-01-01', '--to', '2020-01-01', '--format', 'csv'], t.io)).toBe(0);
    expect(t.out().split('\n')[0]).toBe('conversationId,seq,at,kind,actor,type,text,payload,prevHash,hash');
    t = io(store);
    expect(await run(['retention', '--dry-run'], t.io)).toBe(0);
    expect(JSON.parse(t.out())).toMatchObject({ expired: ['c1'], removed: 0, dryRun: true });
    expect(await store.head('c1')).not.toBeNull();
  });
});

const PREFIX = `test:transcripts-cli:${process.pid}:${Date.now()}:`;
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('transcripts CLI against Redis (npm script)', () => {
  it('exports JSONL to a file, verifies, and reports a tampered chain with exit 1', async () => {
    const checkpointDir = mkdtempSync(join(tmpdir(), 'checkpoints-'));
    // Unpacked, so the test can delete single batches (a settled conversation is packed into one entry).
    const store = new RedisTranscriptStore(redis, PREFIX, testSealing(new FileCheckpointLog(checkpointDir)), { packOnOutcome: false });
    for (const e of conversationEntries('2024-04-30T10:00:00.000Z')) await store.append('cli-1', e);
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: PREFIX, TRANSCRIPT_CHECKPOINT_DIR: checkpointDir };
    delete env.TRANSCRIPT_HMAC_KEY;
    const exec = promisify(execFile);
    const keyless = await exec('npm', ['run', '-s', 'transcripts', '--', 'verify', 'cli-1'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in keyless && keyless.code).toBe(2);
    expect('stderr' in keyless && keyless.stderr).toMatch(/TRANSCRIPT_HMAC_KEY/);
    env.TRANSCRIPT_HMAC_KEY = TEST_CHAIN_KEY;
    const out = join(mkdtempSync(join(tmpdir(), 'transcripts-')), 'x.jsonl');
    await exec('npm', ['run', '-s', 'transcripts', '--', 'export', '--from', '2024-04-30', '--to', '2024-04-30', '--out', out], { env });
    expect(readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(await store.read('cli-1'));
    const ok = await exec('npm', ['run', '-s', 'transcripts', '--', 'verify', 'cli-1'], { env });
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, records: 9 });
    await redis.xdel(`${PREFIX}{conv:cli-1}:transcript`, '5-0');
    const failed = await exec('npm', ['run', '-s', 'transcripts', '--', 'verify', 'cli-1'], { env }).catch((e: { code: number; stdout: string }) => e);
    expect('code' in failed && failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual({ conversationId: 'cli-1', ok: false, firstBadSeq: 5, problem: 'deleted' });
    // Cut the tail and move the head: only the checkpoint outside Redis still knows there were 9 records.
    for (const id of ['5-0', '6-0', '7-0', '8-0', '9-0']) await redis.xdel(`${PREFIX}{conv:cli-1}:transcript`, id);
    const fourth = (await store.stored('cli-1')).records.at(-1)!;
    await redis.hset(`${PREFIX}{conv:cli-1}:transcript:head`, 'seq', '4', 'hash', fourth.hash);
    const cut = await exec('npm', ['run', '-s', 'transcripts', '--', 'verify', 'cli-1'], { env }).catch((e: { code: number; stdout: string }) => e);
    expect('code' in cut && cut.code).toBe(1);
    expect(JSON.parse(cut.stdout)).toEqual({ conversationId: 'cli-1', ok: false, firstBadSeq: 5, problem: 'truncated' });
  });
});
