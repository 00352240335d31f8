/**
 * Transcripts in Redis. Per conversation (all in one Cluster slot through the `{conv:<id>}` tag):
 *   …:transcript      stream, one entry per appended batch (a turn's records), explicit id
 *                     `<seq of its first record>-0`, field `r` = the records, compact
 *                     (bot/storage/compact.ts: every field kept, about a third of the JSON);
 *                     an entry whose `r` is one record's plain JSON (written before batches were
 *                     stored together) reads as that record. Once the conversation has an outcome
 *                     its entries are packed into one (`pack`): DEFLATE across all the records
 *                     takes a quarter less than per batch, and Redis keeps one entry, not one a turn
 *   …:transcript:head hash {seq, hash}: the anchor that makes a cut-off tail detectable
 *   …:transcript:summary / :flags / :policies  search metadata
 * Globally: `transcripts:index:{all}` sorted set (conversation id by start time, ms) and the
 * retention log `transcripts:retention:{all}` (stream + head, hash-chained like a transcript).
 *
 * Appending is compare-and-set: the client seals the record against the head it read (the key
 * never goes to Redis), and the script writes it only if the head is unchanged, else returns the
 * current head to retry against. Two instances therefore can never both extend the same head.
 */
import type { Cluster, Redis } from 'ioredis';
import { RedisKeys } from '../storage/keys.js';
import { afterCommit, deferToCommit, deferred, leaseNotes } from '../storage/lock.js';
import { defineVariadicScript } from '../storage/redis.js';
import { commitKind, packersAtOutcome, type CommitLua, type CommitOp } from '../storage/redisCommit.js';
import { decodeCompact, encodeCompact } from '../storage/compact.js';
import { EMPTY_HEAD, type Linked } from './chain.js';
import {
  ChainHead,
  ConversationFilter,
  ConversationSummary,
  GENESIS_HASH,
  type ConversationFilterInput,
  type TranscriptEntry,
  type TranscriptRecord,
} from './schema.js';
import {
  RetentionRecord,
  anchor,
  parseStored,
  retentionEntry,
  sealBatch,
  type BatchBuilder,
  type Sealing,
  type StoredChain,
  type TranscriptStore,
} from './store.js';
import { dateRange, matchesFilter, summaryDelta } from './summary.js';

/**
 * A batch append, as a commit op (bot/storage/redisCommit.ts) and, wrapped below, a script of its
 * own. KEYS[K…]: stream, head[, summary, flags, policies, agents]. ARGV[A…]: expected seq, expected
 * hash, new head hash, summary deltas JSON array ('' for none), number of records n, the records
 * (compact; seqs expected seq + 1 … + n). Refused ('head:<seq>:<hash>') when the head moved. Every
 * check comes before the first write, so the batch is stored whole or not at all.
 *
 * The summary takes the batch's deltas together (bot/transcripts/summary.ts: last writer wins,
 * first wins, max, set members, the record count): one read of the fields that depend on what is
 * stored, one HSET of every field the batch changes, one SADD per set it adds to — not four or
 * more commands per record.
 */
const BATCH_LUA: CommitLua = {
  check: `
local head = redis.call('HMGET', KEYS[K + 1], 'seq', 'hash')
local seq, hash = head[1] or '0', head[2] or '${GENESIS_HASH}'
if seq ~= ARGV[A] or hash ~= ARGV[A + 1] then return 'head:' .. seq .. ':' .. hash end
local top = redis.call('XREVRANGE', KEYS[K], '+', '-', 'COUNT', 1)[1]
if top and tonumber(string.match(top[1], '^(%d+)')) >= tonumber(seq) + 1 then return 'ahead' end`,
  write: `
local base = tonumber(ARGV[A])
local n = tonumber(ARGV[A + 4])
redis.call('XADD', KEYS[K], tostring(base + 1) .. '-0', 'r', ARGV[A + 5])
redis.call('HSET', KEYS[K + 1], 'seq', tostring(base + n), 'hash', ARGV[A + 2])
if ARGV[A + 3] ~= '' then
  local stored = redis.call('HMGET', KEYS[K + 2], 'conversationId', 'startedAt', 'lastAt', 'records')
  local fields, members = {}, {{}, {}, {}}
  for _, d in ipairs(cjson.decode(ARGV[A + 3])) do
    for k, v in pairs(d.set) do fields[k] = v end
    if not stored[1] then stored[1] = d.conversationId; fields.conversationId = d.conversationId end
    if not stored[2] then stored[2] = d.at; fields.startedAt = d.at end
    if (not stored[3]) or stored[3] < d.at then stored[3] = d.at; fields.lastAt = d.at end
    if d.flag then table.insert(members[1], d.flag) end
    if d.policyVersion then table.insert(members[2], d.policyVersion) end
    if d.agent then table.insert(members[3], d.agent) end
  end
  fields.records = tostring((tonumber(stored[4]) or 0) + n)
  local pairsOf = {}
  for k, v in pairs(fields) do pairsOf[#pairsOf + 1] = k; pairsOf[#pairsOf + 1] = v end
  redis.call('HSET', KEYS[K + 2], unpack(pairsOf))
  for i = 1, 3 do
    if #members[i] > 0 then redis.call('SADD', KEYS[K + 2 + i], unpack(members[i])) end
  end
end`,
};
commitKind('transcriptBatch', BATCH_LUA);

const APPEND_LUA = `
local function check(K, A)${BATCH_LUA.check}
end
local function write(K, A)${BATCH_LUA.write}
end
local refused = check(1, 1)
if refused == 'ahead' then return redis.error_reply('transcript stream is ahead of its head') end
if refused then return {0, string.match(refused, '^head:([^:]*):(.*)$')} end
write(1, 1)
return {1}
`;

/**
 * KEYS: stream, head, scratch key (same slot). ARGV: the head's seq and hash and the stream's entry
 * count when it was read, the first entry's id, the packed records. Replaces the stream by one
 * entry only if nothing was appended (or removed) since the read. The new stream is built under
 * the scratch key and moved over the old one by RENAME, so a failing write leaves the old stream
 * whole: the stream is old or new, never neither.
 */
const PACK_LUA = `
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
if head[1] ~= ARGV[1] or head[2] ~= ARGV[2] then return 0 end
if redis.call('XLEN', KEYS[1]) ~= tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[3])
redis.call('XADD', KEYS[3], ARGV[4], 'r', ARGV[5])
redis.call('RENAME', KEYS[3], KEYS[1])
return 1
`;

const MAX_APPEND_ATTEMPTS = 100;
/** Heads this instance last wrote, so a turn's append is one round trip; a stale one costs a retry, never a fork. */
const KNOWN_HEADS = 10_000;

/** A turn's batches held for its commit, with what is needed to seal them again against another head. */
type BatchOp = CommitOp & {
  start?: ChainHead;
  batches?: { build: BatchBuilder; records: TranscriptRecord[]; deltas: ReturnType<typeof summaryDelta>[]; settles: boolean }[];
};

type PackScript = (...args: (string | number | Buffer)[]) => Promise<number>;

export interface RedisTranscriptOptions {
  /**
   * Packs a conversation's entries into one when a batch gives it an outcome (default). Off only
   * for tests that tamper with single per-batch entries.
   */
  packOnOutcome?: boolean;
}

export class RedisTranscriptStore implements TranscriptStore {
  private readonly keys: RedisKeys;
  private readonly knownHeads = new Map<string, ChainHead>();
  private readonly packOnOutcome: boolean;
  /** The batch append (BATCH_LUA alone): its key count is its first argument. */
  private readonly batchScript: (keys: string[], args: Array<string | number | Buffer>) => Promise<[number, string?, string?]>;

  constructor(
    private readonly client: Redis | Cluster,
    prefix = 'forbear:',
    readonly sealing: Sealing,
    options: RedisTranscriptOptions = {},
  ) {
    this.keys = new RedisKeys(prefix);
    this.packOnOutcome = options.packOnOutcome ?? true;
    const commands = client as unknown as Record<string, unknown>;
    // Defined here, before any command of this client is pipelined: a command defined while a
    // tick's pipeline is open is missing from that pipeline.
    this.batchScript = defineVariadicScript(client, 'transcriptBatch', () => APPEND_LUA);
    if (typeof commands['transcriptPack'] !== 'function') client.defineCommand('transcriptPack', { numberOfKeys: 3, lua: PACK_LUA });
  }

  private conv(conversationId: string) {
    const k = (...rest: string[]) => this.keys.conversation(conversationId, 'transcript', ...rest);
    return { stream: this.keys.conversation(conversationId, 'transcript'), head: k('head'), summary: k('summary'), flags: k('flags'), policies: k('policies'), agents: k('agents'), conv: k };
  }

  private get index() {
    return this.keys.global('transcripts', 'all', 'index');
  }

  private get retention() {
    return { stream: this.keys.global('transcripts', 'all', 'retention'), head: this.keys.global('transcripts', 'all', 'retention', 'head') };
  }

  /**
   * Runs the CAS script until it wins; each loss hands back the head to seal against again.
   * `alongside` is sent right after the first attempt's script, in the same tick (so in the same
   * round trip: the client pipelines a tick's commands), and awaited with it.
   */
  private async appendLinked<R extends Linked>(
    keys: string[],
    seal: (head: ChainHead) => Promise<{ records: R[]; deltas: string | unknown[] }>,
    startHead: ChainHead,
    alongside?: (records: R[]) => Promise<unknown> | undefined,
  ): Promise<R[]> {
    let head = startHead;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const { records, deltas } = await seal(head);
      if (records.length === 0) return records;
      const summary = typeof deltas === 'string' ? deltas : JSON.stringify(deltas);
      const script = this.batchScript(keys, [String(head.seq), head.hash, records.at(-1)!.hash, summary, records.length, encodeCompact(records)]);
      const [result] = await Promise.all([script, attempt === 0 ? alongside?.(records) : undefined]);
      if (result[0] === 1) return records;
      head = { seq: Number(result[1]), hash: String(result[2]) };
    }
    throw new Error(`transcript append lost ${MAX_APPEND_ATTEMPTS} races in a row`);
  }

  async append(conversationId: string, entry: TranscriptEntry): Promise<TranscriptRecord> {
    return (await this.appendBatch(conversationId, () => [entry]))[0]!;
  }

  async appendBatch(conversationId: string, build: BatchBuilder): Promise<TranscriptRecord[]> {
    const k = this.conv(conversationId);
    const keys = [k.stream, k.head, k.summary, k.flags, k.policies, k.agents];
    const known = this.knownHeads.get(conversationId);
    if (known && leaseNotes(conversationId)) return this.deferBatch(conversationId, keys, build, known);
    let settles = false;
    const records = await this.appendLinked(
      keys,
      async (head) => {
        const sealed = await this.seal(conversationId, head, build);
        settles = sealed.settles;
        return sealed;
      },
      // Unknown here: guessing a new conversation costs nothing if right and one retry if not.
      known ?? EMPTY_HEAD,
      // The index is another slot under Cluster, so it cannot join the script: it goes with it, in
      // the same round trip (after it on one node; on a Cluster either may land first). NX keeps the
      // first start time. Once per conversation and instance, not every turn: a head is remembered
      // only once its conversation's index write was answered too, so a crash before that is
      // repaired by the next append, which writes it again. An entry whose batch the script refused
      // (a lost race) or never stored lists nothing: listing skips an id without a summary.
      known === undefined ? (sealed) => this.client.zadd(this.index, 'NX', Date.parse(sealed[0]!.at), conversationId) : undefined,
    );
    const last = records.at(-1);
    if (!last) return records;
    await anchor(this.sealing, conversationId, last);
    this.remember(conversationId, { seq: last.seq, hash: last.hash });
    // The batch is stored and anchored: packing only changes how the same records are kept, so a
    // failure to pack (Redis gone, another append first) leaves a larger stream, never a lost record.
    if (settles && this.packOnOutcome) await this.pack(conversationId).catch(() => false);
    return records;
  }

  private async seal(conversationId: string, head: ChainHead, build: BatchBuilder) {
    const records = sealBatch(this.sealing.chain, conversationId, head, await build(head));
    const deltas = records.map(summaryDelta);
    return { records, deltas, settles: deltas.some((d) => d.set.outcome !== undefined) };
  }

  /**
   * Under the conversation's Redis lease, with its head known from this instance's last append,
   * the batch is sealed now and stored by the turn's commit (bot/storage/redisCommit.ts): in the
   * same script as the turn's state and replies, so the records are stored exactly when the replies
   * are, never after. Batches of one turn go into one op (one stream entry). If another writer
   * moved the head meanwhile, the commit is refused and retried with the batches sealed again
   * against the head it found (`reseal`). The checkpoint and the packing follow the commit.
   */
  private async deferBatch(conversationId: string, keys: string[], build: BatchBuilder, known: ChainHead): Promise<TranscriptRecord[]> {
    const sealed = await this.seal(conversationId, known, build);
    if (sealed.records.length === 0) return sealed.records;
    const pending = deferred(conversationId, 'transcriptBatch')[0] as BatchOp | undefined;
    const op: BatchOp = pending ?? { kind: 'transcriptBatch', keys, args: [], refused: (r) => new Error(`transcript batch refused: ${r}`), start: known, batches: [] };
    op.batches!.push({ build, ...sealed });
    this.setBatchArgs(op);
    if (!pending) deferToCommit(conversationId, op);
    op.reseal = async (reason) => {
      const at = /^head:(\d+):([0-9a-f]+)$/.exec(reason);
      if (!at) return null;
      let head: ChainHead = { seq: Number(at[1]), hash: at[2]! };
      op.start = head;
      const resealed: NonNullable<BatchOp['batches']> = [];
      for (const { build: again } of op.batches!) {
        const batch = { build: again, ...(await this.seal(conversationId, head, again)) };
        resealed.push(batch);
        const last = batch.records.at(-1);
        if (last) head = { seq: last.seq, hash: last.hash };
      }
      op.batches = resealed;
      this.setBatchArgs(op);
      return op;
    };
    // The next batch of this turn follows this one.
    const last = sealed.records.at(-1)!;
    this.remember(conversationId, { seq: last.seq, hash: last.hash });
    if (!pending) {
      const notes = leaseNotes(conversationId);
      await afterCommit(conversationId, async () => {
        const records = op.batches!.flatMap((b) => b.records);
        const end = records.at(-1)!;
        this.remember(conversationId, { seq: end.seq, hash: end.hash });
        await anchor(this.sealing, conversationId, end);
        if (this.packOnOutcome && op.batches!.some((b) => b.settles)) {
          // The other stores' packing of this conversation (the Direct Line log) goes with this one.
          const others = packersAtOutcome(notes).map((pack) => pack().catch(() => false));
          await Promise.all([this.pack(conversationId).catch(() => false), ...others]);
        }
      });
    }
    return sealed.records;
  }

  private setBatchArgs(op: BatchOp): void {
    const records = op.batches!.flatMap((b) => b.records);
    op.args = [op.start!.seq, op.start!.hash, records.at(-1)!.hash, JSON.stringify(op.batches!.flatMap((b) => b.deltas)), records.length, encodeCompact(records)];
  }

  /**
   * Rewrites the conversation's stream as one entry holding every record, each the same JSON value
   * it was stored as (so the hashes and `verify` are unchanged), compressed together. Atomic and
   * compare-and-set against the head and entry count it read: false, and the stream untouched,
   * when there was nothing to pack or an append or removal came in between.
   */
  async pack(conversationId: string): Promise<boolean> {
    const k = this.conv(conversationId);
    const [entries, head] = unwrap(await this.client.multi().xrangeBuffer(k.stream, '-', '+').hgetall(k.head).exec()) as [StreamEntries, Record<string, string>];
    const first = entries[0];
    if (!first || entries.length < 2 || head.seq === undefined || head.hash === undefined) return false;
    const run = (this.client as unknown as Record<string, PackScript>)['transcriptPack']!;
    const packed = await run.call(this.client, k.stream, k.head, k.conv('packing'), head.seq, head.hash, entries.length, first[0], encodeCompact(recordsOf(entries)));
    return packed === 1;
  }

  private remember(conversationId: string, head: ChainHead): void {
    this.knownHeads.delete(conversationId);
    this.knownHeads.set(conversationId, head);
    if (this.knownHeads.size > KNOWN_HEADS) this.knownHeads.delete(this.knownHeads.keys().next().value!);
  }

  async read(conversationId: string): Promise<TranscriptRecord[]> {
    return parseStored(conversationId, (await this.stored(conversationId)).records);
  }

  async head(conversationId: string): Promise<ChainHead | null> {
    return toHead(await this.client.hgetall(this.conv(conversationId).head));
  }

  async stored(conversationId: string): Promise<StoredChain> {
    const k = this.conv(conversationId);
    // One transaction, so an append from another instance cannot land between reading records and head.
    const replies = await this.client.multi().xrangeBuffer(k.stream, '-', '+').hgetall(k.head).exec();
    const [entries, head] = unwrap(replies) as [StreamEntries, Record<string, string>];
    return { records: recordsOf(entries) as (Linked & Record<string, unknown>)[], head: toHead(head) };
  }

  async summary(conversationId: string): Promise<ConversationSummary | null> {
    return (await this.summaries([conversationId]))[0] ?? null;
  }

  private async summaries(ids: string[]): Promise<ConversationSummary[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) {
      const k = this.conv(id);
      pipeline.hgetall(k.summary).smembers(k.flags).smembers(k.policies).smembers(k.agents);
    }
    const replies = unwrap(await pipeline.exec());
    const out: ConversationSummary[] = [];
    for (let i = 0; i < ids.length; i++) {
      const h = replies[i * 4] as Record<string, string>;
      if (!h.conversationId) continue;
      out.push(
        ConversationSummary.parse({
          conversationId: h.conversationId,
          accountId: h.accountId ?? null,
          language: h.language ?? null,
          startedAt: h.startedAt,
          lastAt: h.lastAt,
          outcome: h.outcome ?? null,
          handoffReason: h.handoffReason ?? null,
          flags: (replies[i * 4 + 1] as string[]).sort(),
          policyVersions: (replies[i * 4 + 2] as string[]).sort(),
          agents: (replies[i * 4 + 3] as string[]).sort(),
          records: Number(h.records),
          agentId: h.agentId ?? null,
          engaged: h.engaged === 'yes',
        }),
      );
    }
    return out;
  }

  async listConversations(filter: ConversationFilterInput = {}): Promise<ConversationSummary[]> {
    const f = ConversationFilter.parse(filter);
    const { min, max } = dateRange(f);
    const ids = await this.client.zrangebyscore(this.index, Number.isFinite(min) ? min : '-inf', Number.isFinite(max) ? max : '+inf');
    const matching = (await this.summaries(ids)).filter((s) => matchesFilter(s, f));
    matching.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.conversationId.localeCompare(b.conversationId));
    return f.limit === undefined ? matching : matching.slice(0, f.limit);
  }

  async remove(conversationId: string, reason: string, now: Date = new Date()): Promise<RetentionRecord | null> {
    const [head, summary] = await Promise.all([this.head(conversationId), this.summary(conversationId)]);
    if (!head && !summary) return null;
    const entry = retentionEntry(conversationId, reason, now, head, summary);
    const r = this.retention;
    // Logged before deleting: a crash in between leaves a logged removal that the next run repeats, never a silent one.
    const logged = await this.appendLinked(
      [r.stream, r.head],
      async (h) => ({ records: [RetentionRecord.parse(this.sealing.chain.link(h, entry))], deltas: '' }),
      toHead(await this.client.hgetall(r.head)) ?? EMPTY_HEAD,
    ).then((records) => records[0]!);
    const k = this.conv(conversationId);
    await this.client.del(k.stream, k.head, k.summary, k.flags, k.policies, k.agents);
    this.knownHeads.delete(conversationId);
    await this.client.zrem(this.index, conversationId);
    return logged;
  }

  async retentionLog(): Promise<{ records: RetentionRecord[]; head: ChainHead }> {
    const r = this.retention;
    const [entries, head] = unwrap(await this.client.multi().xrangeBuffer(r.stream, '-', '+').hgetall(r.head).exec()) as [StreamEntries, Record<string, string>];
    return { records: recordsOf(entries).map((record) => RetentionRecord.parse(record)), head: toHead(head) ?? EMPTY_HEAD };
  }
}

function toHead(h: Record<string, string>): ChainHead | null {
  return h.seq === undefined ? null : ChainHead.parse({ seq: Number(h.seq), hash: h.hash });
}

type StreamEntries = [Buffer, Buffer[]][];

/** The records of the stream's entries in order: a batch entry holds several, an old entry one. */
function recordsOf(entries: StreamEntries): unknown[] {
  return entries.flatMap(([, fields]) => {
    const i = fields.findIndex((f, at) => at % 2 === 0 && f.toString() === 'r');
    if (i < 0) throw new Error('stream entry has no field "r"');
    const value = decodeCompact(fields[i + 1]!);
    return Array.isArray(value) ? value : [value];
  });
}

function unwrap(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error('redis transaction aborted');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
