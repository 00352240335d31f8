/**
 * The Direct Line activity log in Redis, for several bot instances behind one address. Per
 * conversation: a marker key, a list of activities (list index = seq = watermark; each stored
 * compactly, bot/storage/compact.ts, a third of its JSON) and a hash
 * of client activity ids → seq; all under the `{conv:<id>}` hash tag, so one Lua script can append
 * and de-duplicate atomically, also on Redis Cluster.
 *
 * Packed: once a turn records the conversation's outcome, the log is rewritten as one item holding
 * every activity so far, DEFLATEd together (`pack`): across activities the compression is much
 * better than per item (a bench conversation's log ≈ 7 KiB → ≈ 3). Such an item starts with
 * `P<count>:` (never the first byte of a compact value or of JSON) and stands for seqs 0…count-1;
 * the items after it are seqs count, count+1, … — so a seq (a watermark) names the same activity
 * before and after packing, and every script below maps seq ↔ list index through `BASE`.
 */
import type { Activity } from 'botbuilder';
import { guarded } from '../../storage/errors.js';
import type { RedisKeys } from '../../storage/keys.js';
import { defineScript, type RedisClient } from '../../storage/redis.js';
import { deferToCommit, leaseNotes } from '../../storage/lock.js';
import { commitKind, noteKey, packAtOutcome, type CommitLua } from '../../storage/redisCommit.js';
import { decodeCompact, encodeCompact } from '../../storage/compact.js';
import { UnknownConversationError, type Appended, type ConversationLog, type LogEntry } from './store.js';

/**
 * Lua: how many more activities the log holds than items — a packed first item of n activities
 * counts n - 1 more; 0 for a log never packed (or absent).
 */
const BASE = `
local function base(log)
  local first = redis.call('LINDEX', log, 0)
  local n = first and string.match(first, '^P(%d+):')
  return n and tonumber(n) - 1 or 0
end`;

/** The prefix of a packed item: its activity count. */
const PACKED = /^P(\d+):/;

/** A packed item's prefix and activity count; null for an item of one activity. */
function packedPrefix(item: Buffer): { length: number; count: number } | null {
  const packed = PACKED.exec(item.subarray(0, 24).toString('latin1'));
  return packed ? { length: packed[0].length, count: Number(packed[1]) } : null;
}

/**
 * The open marker is "new" until the first client message, then "1"; the conversation's keys live
 * the unstarted TTL until then, the normal idle TTL after.
 * The dedupe hash maps a client activity id to its seq: "<seq>?" from receipt until its turn
 * completes, then "<seq>" (so entries written before completion was recorded count as completed).
 * KEYS: open, log, dedupe. ARGV: activity (compact), ttl, dedupe key, unstarted ttl, "1" for a message.
 * Answers {seq, duplicate, completed, the log's length}.
 */
const APPEND = `${BASE}
local marker = redis.call('GET', KEYS[1])
if not marker then return {-1, 0, 0, 0} end
if ARGV[3] ~= '' then
  local earlier = redis.call('HGET', KEYS[3], ARGV[3])
  if earlier then
    local seq, pending = string.match(earlier, '^(%d+)(%??)$')
    return {tonumber(seq), 1, pending == '' and 1 or 0, redis.call('LLEN', KEYS[2]) + base(KEYS[2])}
  end
end
local unstarted = marker == 'new'
if unstarted and ARGV[5] == '1' then
  redis.call('SET', KEYS[1], '1')
  unstarted = false
end
local length = redis.call('RPUSH', KEYS[2], ARGV[1]) + base(KEYS[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], (length - 1) .. '?') end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], unstarted and ARGV[4] or ARGV[2]) end
return {length - 1, 0, 0, length}
`;

/**
 * Marking a delivery completed, as a commit op (bot/storage/redisCommit.ts): KEYS[K] dedupe,
 * ARGV[A] dedupe key. Drops the pending mark; an unknown key (or expired conversation) stays unknown.
 */
const COMPLETE_LUA: CommitLua = {
  check: '',
  write: `
local entry = redis.call('HGET', KEYS[K], ARGV[A])
if entry and string.sub(entry, -1) == '?' then redis.call('HSET', KEYS[K], ARGV[A], string.sub(entry, 1, -2)) end`,
};
commitKind('directLineComplete', COMPLETE_LUA);

/**
 * A turn's replies, as a commit op: KEYS[K…] open, log, dedupe; ARGV[A…] ttl, unstarted ttl, the
 * number of activities n, then the activities (compact) in order. Refused when the conversation is
 * gone; the marker the check read chooses the TTL (`memo`, see CommitLua).
 */
const REPLIES_LUA: CommitLua = {
  check: `
memo[K] = redis.call('GET', KEYS[K])
if not memo[K] then return 'gone' end`,
  write: `
redis.call('RPUSH', KEYS[K + 1], unpack(ARGV, A + 3, A + 2 + tonumber(ARGV[A + 2])))
local ttl = memo[K] == 'new' and ARGV[A + 1] or ARGV[A]
for i = 0, 2 do redis.call('EXPIRE', KEYS[K + i], ttl) end`,
};
commitKind('directLineReplies', REPLIES_LUA);

/** KEYS: dedupe. ARGV: dedupe key. */
const COMPLETE = `
local function write(K, A)${COMPLETE_LUA.write}
end
write(1, 1)
return 0
`;

/** KEYS, ARGV: as REPLIES_LUA's. Answers the first seq, -1 for no conversation. */
const APPEND_REPLIES = `${BASE}
local memo = {}
local function check(K, A)${REPLIES_LUA.check}
end
local function write(K, A)${REPLIES_LUA.write}
end
if check(1, 1) then return -1 end
write(1, 1)
return redis.call('LLEN', KEYS[2]) + base(KEYS[2]) - tonumber(ARGV[3])
`;

/**
 * KEYS: open, log. ARGV: first seq, last seq. Answers {-1} for no conversation, else {1, the
 * packed item or '' when the range starts after it, then the items of the seqs after the packed ones}.
 */
const READ = `${BASE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
local shift = base(KEYS[2])
local packed = ''
if shift > 0 and from <= shift then packed = redis.call('LINDEX', KEYS[2], 0) end
local lo = math.max(from - shift, packed == '' and 0 or 1)
local items = {1, packed}
if to - shift >= lo then
  for _, item in ipairs(redis.call('LRANGE', KEYS[2], lo, to - shift)) do items[#items + 1] = item end
end
return items
`;

/**
 * KEYS: log, scratch. ARGV: the item count and first item read, the packed item. Compare-and-set:
 * refused (0) when the log changed since it was read (an append only grows it; another pack
 * changes its first item). Built under a scratch key and renamed over the log, so a write failing
 * inside Redis leaves the old log whole; the log's TTL is kept.
 */
const PACK = `
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) or redis.call('LINDEX', KEYS[1], 0) ~= ARGV[2] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('RENAME', KEYS[2], KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** The activities a stored item holds: one, or a packed item's all. */
function activitiesOf(item: Buffer): Partial<Activity>[] {
  const packed = packedPrefix(item);
  if (!packed) return [decodeCompact(item) as Partial<Activity>];
  const activities = decodeCompact(item.subarray(packed.length)) as Partial<Activity>[];
  if (!Array.isArray(activities) || activities.length !== packed.count) throw new Error('packed Direct Line log item does not hold the activities it counts');
  return activities;
}

/** The lease note of how long this conversation's log is, known once the turn appended to it. */
const LENGTH = noteKey<number>('directline:length');

export class RedisConversationLog implements ConversationLog {
  private readonly appendScript: ReturnType<typeof defineScript>;
  private readonly repliesScript: ReturnType<typeof defineScript>;
  private readonly completeScript: ReturnType<typeof defineScript>;
  private readonly readScript: ReturnType<typeof defineScript>;
  private readonly packScript: ReturnType<typeof defineScript>;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlSec: number,
    private readonly unstartedTtlSec: number = ttlSec,
  ) {
    this.appendScript = defineScript(client, 'forbearDirectLineAppend', 3, APPEND);
    this.repliesScript = defineScript(client, 'forbearDirectLineReplies', 3, APPEND_REPLIES);
    this.completeScript = defineScript(client, 'forbearDirectLineComplete', 1, COMPLETE);
    this.readScript = defineScript(client, 'forbearDirectLineRead', 2, READ, 'buffers');
    this.packScript = defineScript(client, 'forbearDirectLinePack', 2, PACK);
  }

  private keysOf(conversationId: string) {
    return {
      open: this.keys.conversation(conversationId, 'directline', 'open'),
      log: this.keys.conversation(conversationId, 'directline', 'log'),
      dedupe: this.keys.conversation(conversationId, 'directline', 'dedupe'),
      packing: this.keys.conversation(conversationId, 'directline', 'packing'),
    };
  }

  /**
   * Conversation ids by when their keys would expire (ms), for `openCount`; approximate, as the
   * count is. Another Cluster slot than the conversations, so written beside their commands, not in
   * their scripts — in the same tick, so in the same round trip (the client pipelines a tick's commands).
   */
  private get openIndex(): string {
    return this.keys.global('directline', 'all', 'open');
  }

  private expiresAt(ttlSec: number): number {
    return Date.now() + ttlSec * 1000;
  }

  async open(conversationId: string): Promise<'created' | 'existing'> {
    // NX on both: an existing conversation keeps its marker and its place in the index (ids are
    // the server's own random ones, so an index entry without its conversation does not arise).
    const [created] = await guarded(() =>
      Promise.all([
        this.client.set(this.keysOf(conversationId).open, 'new', 'EX', this.unstartedTtlSec, 'NX'),
        this.client.zadd(this.openIndex, 'NX', this.expiresAt(this.unstartedTtlSec), conversationId),
      ]),
    );
    return created === 'OK' ? 'created' : 'existing';
  }

  async openCount(): Promise<number> {
    return guarded(async () => {
      // Drop the expired, count the rest: in order on one connection, and one round trip (with
      // whatever else this tick asks, e.g. whether the conversation exists) as the client pipelines them.
      const [, count] = await Promise.all([this.client.zremrangebyscore(this.openIndex, '-inf', Date.now()), this.client.zcard(this.openIndex)]);
      return count;
    });
  }

  async exists(conversationId: string): Promise<boolean> {
    return (await guarded(() => this.client.exists(this.keysOf(conversationId).open))) === 1;
  }

  async append(conversationId: string, activity: Partial<Activity>, dedupeKey?: string): Promise<Appended> {
    const k = this.keysOf(conversationId);
    const message = activity.type === 'message' ? '1' : '0';
    const [[seq, duplicate, completed, length]] = (await guarded(() =>
      Promise.all([
        this.appendScript([k.open, k.log, k.dedupe], [encodeCompact(activity), this.ttlSec, dedupeKey ?? '', this.unstartedTtlSec, message]),
        // A client message gives the conversation's keys the idle TTL from now (the script above),
        // and the index follows in the same round trip. XX: only a conversation the index lists
        // moves; a message to one never opened or expired (refused by the script) adds nothing.
        message === '1' ? this.client.zadd(this.openIndex, 'XX', this.expiresAt(this.ttlSec), conversationId) : undefined,
      ]),
    )) as [[number, number, number, number], unknown];
    if (seq < 0) throw new UnknownConversationError(conversationId);
    // Under the conversation's lease nobody else appends: the turn's replies will follow at the end of the log.
    leaseNotes(conversationId)?.set(LENGTH, length);
    return { seq, duplicate: duplicate === 1, completed: completed === 1 };
  }

  /** Under the conversation's Redis lease, sent with the turn's commit (see bot/storage/redisCommit.ts). */
  async complete(conversationId: string, dedupeKey: string): Promise<void> {
    const keys = [this.keysOf(conversationId).dedupe];
    if (deferToCommit(conversationId, { kind: 'directLineComplete', keys, args: [dedupeKey], refused: (r) => new Error(r) })) return;
    await guarded(() => this.completeScript(keys, [dedupeKey]));
  }

  /**
   * Under the conversation's Redis lease, once the turn has appended (so the log's length is known),
   * the replies go out with the turn's commit — with its state, after its transcript batch — and
   * open streams hear of them once it is stored (`afterCommit`).
   */
  async appendReplies(conversationId: string, activities: Partial<Activity>[]): Promise<number> {
    const k = this.keysOf(conversationId);
    const args = [this.ttlSec, this.unstartedTtlSec, activities.length, ...activities.map((a) => encodeCompact(a))];
    const notes = leaseNotes(conversationId);
    if (notes) {
      // A turn that appended nothing yet (a greeting, a relayed agent reply) reads where its replies will start.
      const length = notes.get(LENGTH) ?? (await this.length(k.log));
      deferToCommit(conversationId, { kind: 'directLineReplies', keys: [k.open, k.log, k.dedupe], args, refused: () => new UnknownConversationError(conversationId) });
      notes.set(LENGTH, length + activities.length);
      // Should this turn record the outcome: packed once it is stored, beside the transcript.
      packAtOutcome(notes, 'directline', () => this.pack(conversationId));
      return length;
    }
    const first = (await guarded(() => this.repliesScript([k.open, k.log, k.dedupe], args))) as number;
    if (first < 0) throw new UnknownConversationError(conversationId);
    return first;
  }

  /** How many activities the log holds (its next seq). */
  private async length(log: string): Promise<number> {
    const [count, first] = await guarded(async () => {
      const replies = await this.client.multi().llen(log).lindexBuffer(log, 0).exec();
      return [replies?.[0]?.[1], replies?.[1]?.[1]] as [number, Buffer | null];
    });
    const packed = first ? packedPrefix(first) : null;
    return count + (packed ? packed.count - 1 : 0);
  }

  async read(conversationId: string, afterSeq: number | undefined, limit: number): Promise<LogEntry[]> {
    const k = this.keysOf(conversationId);
    const start = afterSeq === undefined ? 0 : afterSeq + 1;
    const reply = (await guarded(() => this.readScript([k.open, k.log], [start, start + limit - 1]))) as Array<number | Buffer>;
    if (reply[0] !== 1) throw new UnknownConversationError(conversationId);
    const [, packed, ...items] = reply as [number, Buffer, ...Buffer[]];
    const entries: LogEntry[] = [];
    let seq = start;
    if (packed.length > 0) {
      for (const activity of activitiesOf(packed).slice(start, start + limit)) entries.push({ seq: seq++, activity });
    }
    for (const item of items) entries.push({ seq: seq++, activity: decodeCompact(item) as Partial<Activity> });
    return entries;
  }

  /**
   * Rewrites the conversation's log as one packed item (see the top of this file): the same
   * activities at the same seqs, read back identically. One compare-and-set script: refused (false)
   * when an append or another pack came in between, or when there is nothing to pack.
   */
  async pack(conversationId: string): Promise<boolean> {
    const k = this.keysOf(conversationId);
    const items = await guarded(() => this.client.lrangeBuffer(k.log, 0, -1));
    const first = items[0];
    if (!first || items.length < 2) return false;
    const activities = items.flatMap(activitiesOf);
    const packed = Buffer.concat([Buffer.from(`P${activities.length}:`, 'latin1'), encodeCompact(activities)]);
    return (await guarded(() => this.packScript([k.log, k.packing], [items.length, first, packed]))) === 1;
  }
}
