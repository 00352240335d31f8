/**
 * Someone who can write Redis tries to hide or forge history. Each attack uses only what such a
 * person has: Redis commands and the published record format (RFC 8785 JSON, SHA-256) — not the
 * key from configuration, and not the checkpoint files outside Redis.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, Chain } from '../../bot/transcripts/chain.js';
import { decodeCompact } from '../../bot/storage/compact.js';
import { FileCheckpointLog } from '../../bot/transcripts/checkpoints.js';
import { RedisTranscriptStore } from '../../bot/transcripts/redisStore.js';
import { verifyConversation, type Sealing } from '../../bot/transcripts/store.js';
import { conversationEntries, TEST_CHAIN_KEY } from './fixtures.js';

const PREFIX = `test:tamper:${process.pid}:${Date.now()}:`;
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
let store: RedisTranscriptStore;
let checkpointDir: string;

const streamKey = (id: string) => `${PREFIX}{conv:${id}}:transcript`;
const headKey = (id: string) => `${PREFIX}{conv:${id}}:transcript:head`;
const summaryKey = (id: string) => `${PREFIX}{conv:${id}}:transcript:summary`;

type Rec = Record<string, unknown> & { seq: number; prevHash: string; hash: string };

/** What an attacker can compute: the published format without the key. */
const attackerHash = (record: Rec) => {
  const { hash: _h, ...body } = record;
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
};

/** The stored records: the codec (bot/storage/compact.ts) is published too, and undoing it needs no key. */
async function readRaw(id: string): Promise<Rec[]> {
  return (await redis.xrangeBuffer(streamKey(id), '-', '+')).flatMap(([, fields]) => {
    const value = decodeCompact(fields[1]!) as Rec | Rec[];
    return Array.isArray(value) ? value : [value];
  });
}

/** Replaces the stream and the head with `records`, exactly as the bot writes them. */
async function overwrite(id: string, records: Rec[]): Promise<void> {
  await redis.del(streamKey(id));
  for (const r of records) await redis.xadd(streamKey(id), `${r.seq}-0`, 'r', JSON.stringify(r));
  const last = records.at(-1);
  if (last) await redis.hset(headKey(id), 'seq', String(last.seq), 'hash', last.hash);
}

async function seed(id: string): Promise<void> {
  for (const e of conversationEntries()) await store.append(id, e);
  expect(await verifyConversation(store, id)).toEqual({ ok: true, records: 9 });
}

function sealing(dir: string): Sealing {
  return { chain: new Chain(TEST_CHAIN_KEY), checkpoints: new FileCheckpointLog(dir) };
}

beforeAll(async () => {
  await redis.connect();
  checkpointDir = mkdtempSync(join(tmpdir(), 'forbear-checkpoints-'));
  store = new RedisTranscriptStore(redis, PREFIX, sealing(checkpointDir));
});

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('tampering by someone who can write Redis', () => {
  it('detects a cut tail whose head was moved to the new last record', async () => {
    await seed('cut');
    const records = await readRaw('cut');
    await overwrite('cut', records.slice(0, 6));
    expect(await verifyConversation(store, 'cut')).toEqual({ ok: false, firstBadSeq: 7, problem: 'truncated' });
  });

  it('detects an edit re-hashed through every later record and the head', async () => {
    await seed('rehash');
    const records = await readRaw('rehash');
    (records[4]!.payload as { outcome: string }).outcome = 'accept';
    for (let i = 4; i < records.length; i++) {
      records[i]!.prevHash = records[i - 1]!.hash;
      records[i]!.hash = attackerHash(records[i]!);
    }
    await overwrite('rehash', records);
    expect(await verifyConversation(store, 'rehash')).toMatchObject({ ok: false, firstBadSeq: 5, problem: 'edited' });
  });

  it('detects a whole chain re-hashed from the first record', async () => {
    await seed('rebuilt');
    const records = (await readRaw('rebuilt')).slice(0, 5);
    for (let i = 0; i < records.length; i++) {
      records[i]!.prevHash = i === 0 ? '0'.repeat(64) : records[i - 1]!.hash;
      records[i]!.hash = attackerHash(records[i]!);
    }
    await overwrite('rebuilt', records);
    expect(await verifyConversation(store, 'rebuilt')).toMatchObject({ ok: false, firstBadSeq: 1, problem: 'edited' });
  });

  it('detects records copied under another conversation id', async () => {
    await seed('original');
    await overwrite('copy', await readRaw('original'));
    expect(await verifyConversation(store, 'copy')).toEqual({ ok: false, firstBadSeq: 1, problem: 'misplaced' });
  });

  it('reports a conversation whose stream and head were deleted as a failure, not "ok, 0 records"', async () => {
    await seed('erased');
    await redis.del(streamKey('erased'), headKey('erased'));
    expect(await verifyConversation(store, 'erased')).toEqual({ ok: false, firstBadSeq: 1, problem: 'truncated' });
    // Even with its search summary gone too, the checkpoint outside Redis remembers it.
    await redis.del(summaryKey('erased'));
    expect(await verifyConversation(store, 'erased')).toEqual({ ok: false, firstBadSeq: 1, problem: 'truncated' });
  });

  it('anchors every append in a checkpoint another process can read', async () => {
    await seed('anchored');
    const other = sealing(checkpointDir).checkpoints;
    expect(await other.latest('anchored')).toMatchObject({ conversationId: 'anchored', seq: 9 });
    // A second store (another instance) with its own file still sees this one's checkpoints.
    const second = new RedisTranscriptStore(redis, PREFIX, sealing(checkpointDir));
    await redis.del(streamKey('anchored'), headKey('anchored'), summaryKey('anchored'));
    expect(await verifyConversation(second, 'anchored')).toMatchObject({ ok: false, problem: 'truncated' });
  });
});
