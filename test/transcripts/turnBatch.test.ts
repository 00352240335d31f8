/**
 * One turn's records are one atomic batch: a crash part-way through a turn leaves none of them,
 * never the first few; a batch that cannot be sealed or stored whole stores nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { MemoryTranscriptStore, verifyConversation } from '../../bot/transcripts/store.js';
import { Chain } from '../../bot/transcripts/chain.js';
import { MemoryCheckpointLog } from '../../bot/transcripts/checkpoints.js';
import type { TranscriptEntry } from '../../bot/transcripts/schema.js';
import { complete } from './fixtures.js';
import { testRedis, type TestRedis } from '../support/redis.js';

const KEY = 'turn-batch-test-key-turn-batch-test-key';
let redis: TestRedis;
let checkpoints: string;

beforeAll(async () => {
  redis = await testRedis('turn-batch');
  checkpoints = mkdtempSync(join(tmpdir(), 'forbear-turn-batch-'));
});
afterAll(async () => {
  await redis.cleanup();
  rmSync(checkpoints, { recursive: true, force: true });
});

function runBot(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'test/transcripts/crashTurn.ts'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      TRANSCRIPT_HMAC_KEY: KEY,
      TRANSCRIPT_CHECKPOINT_DIR: checkpoints,
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

const said = (text: string): TranscriptEntry => complete({ kind: 'activity', actor: 'bot', at: '2026-11-22T02:00:00Z', payload: { type: 'message', text } });

describe('a turn is stored as one batch', () => {
  it('a process killed between records of one turn leaves none of that turn, and the chain verifies', async () => {
    const crashed = runBot({ CRASH_AT_TURN: '4', CONVERSATION_ID: 'crash-4' });
    expect(crashed.signal).toBe('SIGKILL');
    const before = Number(/records before the turn: (\d+)/.exec(crashed.stdout)?.[1]);
    expect(before).toBeGreaterThan(5);

    const connection = await redis.connect();
    const store = new RedisTranscriptStore(connection.client, redis.prefix, { chain: new Chain(KEY), checkpoints: new MemoryCheckpointLog() });
    expect((await store.head('crash-4'))?.seq).toBe(before);
    expect((await store.stored('crash-4')).records).toHaveLength(before);
    expect(store.sealing.chain.verify((await store.stored('crash-4')).records, { head: await store.head('crash-4'), conversationId: 'crash-4' })).toMatchObject({ ok: true });

    // The same conversation carries on in a new process: the interrupted turn simply never happened.
    const resumed = runBot({ CONVERSATION_ID: 'crash-4', START_AT_TURN: '4' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(Number(/records: (\d+)/.exec(resumed.stdout)?.[1])).toBeGreaterThan(before);
  }, 120_000);

  it('a batch with one entry that cannot be sealed stores none of it', async () => {
    const store = new MemoryTranscriptStore();
    await store.append('m', said('first'));
    // A value with no JSON form has no canonical form to hash: sealing fails at the batch's last entry.
    const bad = { kind: 'activity', actor: 'bot', at: '2026-11-22T02:00:00.000Z', payload: { type: 'message', text: 10n } } as unknown as TranscriptEntry;
    await expect(store.appendBatch('m', () => [said('a'), said('b'), bad])).rejects.toThrow();
    expect((await store.read('m')).map((r) => r.payload)).toMatchObject([{ text: 'first' }]);
    expect(await verifyConversation(store, 'm')).toMatchObject({ ok: true, records: 1 });
  });

  it('in Redis, records of a batch get consecutive seqs in one step, and a stream ahead of its head refuses the whole batch', async () => {
    const connection = await redis.connect();
    const store = new RedisTranscriptStore(connection.client, redis.prefix, { chain: new Chain(KEY), checkpoints: new MemoryCheckpointLog() });
    const stored = await store.appendBatch('r', (head) => [said(`after ${head.seq}`), said('two'), said('three')]);
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3]);
    // Someone wrote a stray entry past the head: the next batch must not half-apply around it.
    await redis.admin.xadd(`${redis.prefix}{conv:r}:transcript`, '4-0', 'r', '{}');
    await expect(store.appendBatch('r', () => [said('four'), said('five')])).rejects.toThrow(/ahead of its head/);
    expect((await store.head('r'))?.seq).toBe(3);
    // The batch is one stream entry (seqs 1–3), then the stray one: nothing of the refused batch.
    expect(await redis.admin.xlen(`${redis.prefix}{conv:r}:transcript`)).toBe(2);
  });
});
