/**
 * One Redis hash per record, `{etag, value}`, written only through a compare-and-set Lua script so
 * the eTag check and the write are a single atomic step on the server. Both the Bot Framework
 * storage and the key-value store are built on this. The value is kept compact when that is
 * shorter (bot/storage/compact.ts `storedText`: the conversation state ≈ 2.3 → 1 KiB); read back
 * as Buffers and decoded here, so every reader sees the record's text as written.
 */
import { randomUUID } from 'node:crypto';
import { commitKind, type CommitLua } from './redisCommit.js';
import { defineScript, type RedisClient } from './redis.js';
import { storedText, textOfStored } from './compact.js';

/**
 * any: unconditional; absent: create only; match: the current eTag must equal `expected`;
 * match-or-absent: as match, but a missing record may be (re)created (MemoryStorage's rule).
 */
export type WriteCondition = { mode: 'any' | 'absent' } | { mode: 'match' | 'match-or-absent'; expected: string };

/**
 * RECORD_LUA's arguments by name: each one's offset from the op's first (A). The one place their
 * order is written — the Lua, `recordArgs` and the readers and amenders below all go by it.
 */
const ARG = { mode: 0, expected: 1, etag: 2, value: 3, ttlMs: 4 } as const;

/**
 * The compare-and-set as a commit op's Lua (bot/storage/lock.ts `CommitLua`), for the script below
 * and for a turn's commit. KEYS[K]: the record. ARGV[A…]: as `ARG`.
 */
export const RECORD_LUA: CommitLua = {
  check: `
local current = redis.call('HGET', KEYS[K], 'etag')
local mode = ARGV[A + ${ARG.mode}]
if mode == 'absent' and current then return 'conflict' end
if mode == 'match' and current ~= ARGV[A + ${ARG.expected}] then return 'conflict' end
if mode == 'match-or-absent' and current and current ~= ARGV[A + ${ARG.expected}] then return 'conflict' end`,
  write: `
redis.call('HSET', KEYS[K], 'etag', ARGV[A + ${ARG.etag}], 'value', ARGV[A + ${ARG.value}])
local ttl = tonumber(ARGV[A + ${ARG.ttlMs}])
if ttl > 0 then redis.call('PEXPIRE', KEYS[K], ttl) else redis.call('PERSIST', KEYS[K]) end`,
};
commitKind('record', RECORD_LUA);

/** Removing a record, as a commit op: KEYS[K] the record. */
commitKind('recordDelete', { check: '', write: `\nredis.call('DEL', KEYS[K])` });

const COMPARE_AND_SET = `
local function check(K, A)${RECORD_LUA.check}
end
local function write(K, A)${RECORD_LUA.write}
end
if check(1, 1) then return 0 end
write(1, 1)
return 1
`;

export interface StoredRecord {
  etag: string;
  value: string;
}

/** A record's fields, in the order `readReply` reads them. */
const FIELDS = ['etag', 'value'] as const;

/** Sends the read of a record (pipelined with this tick's other commands); its reply becomes the record with `readReply`. */
export function readRecord(client: RedisClient, key: string): Promise<unknown> {
  return client.hmgetBuffer(key, ...FIELDS);
}

/**
 * The text this process last wrote to each record as compact bytes, with the eTag and the bytes
 * written: a record read back with that eTag and those very bytes holds exactly that text, so it
 * is not inflated again. (The eTag alone is not enough: a value edited in Redis by hand keeps its
 * eTag, and must still be decoded and validated, not answered with what was written before; the
 * bytes compare in well under a microsecond, the inflate they spare takes ≈ 20.) With Redis every turn
 * reads back, with its lease, the conversation state its previous turn wrote here: ≈ 20 µs of
 * inflate a turn, ≈ 1 % of its CPU.
 *
 * Bounded by bytes, the records least recently written forgotten first: a bound by count let a few
 * large records (a long ledger, a transcript prelude) hold any amount of heap. 8 MiB keeps ≈ 1,000
 * conversation states (≈ 2–4 KB of text, counted twice, and ≈ 1 KB compact) — what the bound by count
 * kept. A named constant, not a setting: the cache only spares CPU (a forgotten record is inflated
 * as before), so there is no operator's choice to make, and it lives below the stores, process-wide.
 */
export const WRITTEN_TEXT_BYTES = 8 * 1024 * 1024;
const writtenTexts = new Map<string, { etag: string; stored: Buffer; text: string; bytes: number }>();
let writtenBytes = 0;

/** What remembering the text costs: its compact bytes, and the text at two bytes a character (V8 keeps a string at one or two). */
const costOf = (stored: Buffer, text: string) => stored.length + 2 * text.length;

function forgetWritten(key: string): void {
  writtenBytes -= writtenTexts.get(key)?.bytes ?? 0;
  writtenTexts.delete(key);
}

function rememberWritten(key: string, etag: string, stored: Buffer, text: string): void {
  forgetWritten(key);
  const bytes = costOf(stored, text);
  if (bytes > WRITTEN_TEXT_BYTES) return; // alone over the budget: it would push out everything else and still not fit
  while (writtenBytes + bytes > WRITTEN_TEXT_BYTES) forgetWritten(writtenTexts.keys().next().value!);
  writtenTexts.set(key, { etag, stored, text, bytes });
  writtenBytes += bytes;
}

/** The bytes the remembered texts cost (≤ WRITTEN_TEXT_BYTES). */
export const writtenTextBytes = (): number => writtenBytes;

/** The text of `key`'s value as stored with `etag`: the one this process wrote with it, else decoded. */
function textOf(key: string, etag: string, stored: Buffer | string): string {
  const written = writtenTexts.get(key);
  return written?.etag === etag && Buffer.isBuffer(stored) && written.stored.equals(stored) ? written.text : textOfStored(stored);
}

export function readReply(key: string, reply: unknown): StoredRecord | undefined {
  const [etagBytes, value] = reply as [Buffer | null, Buffer | null];
  if (!etagBytes || etagBytes.length === 0 || value === null || value === undefined) return undefined;
  const etag = etagBytes.toString('utf8');
  return { etag, value: textOf(key, etag, value) };
}

export class VersionedRecords {
  private readonly compareAndSet: ReturnType<typeof defineScript>;

  constructor(private readonly client: RedisClient) {
    this.compareAndSet = defineScript(client, 'forbearCompareAndSet', 1, COMPARE_AND_SET);
  }

  async read(key: string): Promise<StoredRecord | undefined> {
    return readReply(key, await this.client.hmgetBuffer(key, ...FIELDS));
  }

  /** The new eTag, or null when the condition did not hold (nothing was written). */
  async write(key: string, value: string, condition: WriteCondition, ttlMs: number): Promise<string | null> {
    const etag = randomUUID();
    const written = await this.compareAndSet([key], recordArgs(key, value, condition, etag, ttlMs));
    return written === 1 ? etag : null;
  }

  async delete(...keys: string[]): Promise<void> {
    // One DEL per key: keys of different conversations live in different cluster slots.
    await Promise.all(keys.map((k) => this.client.del(k)));
  }
}

/** RECORD_LUA's arguments as a commit op carries them. */
type RecordArgs = Array<string | number | Buffer>;

/** The arguments of RECORD_LUA writing `key`: the value as Redis keeps it (compact when shorter). */
export function recordArgs(key: string, value: string, condition: WriteCondition, etag: string, ttlMs: number): RecordArgs {
  const args: RecordArgs = [];
  args[ARG.mode] = condition.mode;
  args[ARG.expected] = 'expected' in condition ? condition.expected : '';
  args[ARG.etag] = etag;
  const stored = storedText(value);
  args[ARG.value] = stored;
  args[ARG.ttlMs] = ttlMs;
  // Remembered before the write is sent: a write that does not land leaves its eTag nowhere in Redis.
  if (typeof stored === 'string') forgetWritten(key);
  else rememberWritten(key, etag, stored, value);
  return args;
}

/** The text of the value in RECORD_LUA arguments writing `key` (a write held back for a turn's commit, read by the turn). */
export function argsText(key: string, args: Readonly<RecordArgs>): string {
  return textOf(key, args[ARG.etag] as string, args[ARG.value] as Buffer | string);
}

/** The condition and the new eTag in RECORD_LUA arguments (a held-back write, read or replaced by its turn). */
export function argsWrite(args: Readonly<RecordArgs>): { condition: WriteCondition; etag: string } {
  const mode = args[ARG.mode] as WriteCondition['mode'];
  const expected = args[ARG.expected] as string;
  return { condition: mode === 'any' || mode === 'absent' ? { mode } : { mode, expected }, etag: args[ARG.etag] as string };
}

/** Sets the TTL in RECORD_LUA arguments (a held-back write given a shorter life before it is sent). */
export function setArgsTtl(args: RecordArgs, ttlMs: number): void {
  args[ARG.ttlMs] = ttlMs;
}
