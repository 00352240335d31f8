/**
 * The Direct Line activity log in Redis, for several bot instances behind one address. Per
 * conversation: a marker key, a list of activities (list index = seq = watermark; each stored
 * compactly, bot/storage/compact.ts, a third of its JSON) and a hash
 * of client activity ids → seq; all under the `{conv:<id>}` hash tag, so one Lua script can append
 * and de-duplicate atomically, also on Redis Cluster.
 */
import type { Activity } from 'botbuilder';
import { guarded } from '../../storage/errors.js';
import type { RedisKeys } from '../../storage/keys.js';
import { defineScript, type RedisClient } from '../../storage/redis.js';
import { decodeCompact, encodeCompact } from '../../storage/compact.js';
import { UnknownConversationError, type Appended, type ConversationLog, type LogEntry } from './store.js';

/**
 * The open marker is "new" until the first client message, then "1"; the conversation's keys live
 * the unstarted TTL until then, the normal idle TTL after.
 * The dedupe hash maps a client activity id to its seq: "<seq>?" from receipt until its turn
 * completes, then "<seq>" (so entries written before completion was recorded count as completed).
 * KEYS: open, log, dedupe. ARGV: activity (compact), ttl, dedupe key, unstarted ttl, "1" for a message.
 * Answers {seq, duplicate, completed, started now}.
 */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, 0, 0} end
if ARGV[3] ~= '' then
  local earlier = redis.call('HGET', KEYS[3], ARGV[3])
  if earlier then
    local seq, pending = string.match(earlier, '^(%d+)(%??)$')
    return {tonumber(seq), 1, pending == '' and 1 or 0, 0}
  end
end
local unstarted = redis.call('GET', KEYS[1]) == 'new'
local startedNow = 0
if unstarted and ARGV[5] == '1' then
  redis.call('SET', KEYS[1], '1')
  unstarted, startedNow = false, 1
end
local length = redis.call('RPUSH', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], (length - 1) .. '?') end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], unstarted and ARGV[4] or ARGV[2]) end
return {length - 1, 0, 0, startedNow}
`;

/** KEYS: dedupe. ARGV: dedupe key. Drops the pending mark; an unknown key (or expired conversation) stays unknown. */
const COMPLETE = `
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if entry and string.sub(entry, -1) == '?' then redis.call('HSET', KEYS[1], ARGV[1], string.sub(entry, 1, -2)) end
return 0
`;

/** KEYS: open, log, dedupe. ARGV: ttl, unstarted ttl, then the activities (compact) in order. Answers the first seq, -1 for no conversation. */
const APPEND_REPLIES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local length = redis.call('RPUSH', KEYS[2], unpack(ARGV, 3))
local ttl = redis.call('GET', KEYS[1]) == 'new' and ARGV[2] or ARGV[1]
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ttl) end
return length - (#ARGV - 2)
`;

export class RedisConversationLog implements ConversationLog {
  private readonly appendScript: ReturnType<typeof defineScript>;
  private readonly repliesScript: ReturnType<typeof defineScript>;
  private readonly completeScript: ReturnType<typeof defineScript>;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlSec: number,
    private readonly unstartedTtlSec: number = ttlSec,
  ) {
    this.appendScript = defineScript(client, 'forbearDirectLineAppend', 3, APPEND);
    this.repliesScript = defineScript(client, 'forbearDirectLineReplies', 3, APPEND_REPLIES);
    this.completeScript = defineScript(client, 'forbearDirectLineComplete', 1, COMPLETE);
  }

  private keysOf(conversationId: string) {
    return {
      open: this.keys.conversation(conversationId, 'directline', 'open'),
      log: this.keys.conversation(conversationId, 'directline', 'log'),
      dedupe: this.keys.conversation(conversationId, 'directline', 'dedupe'),
    };
  }

  /** Conversation ids by expiry (ms); another Cluster slot than the conversations, so kept beside, not in, their scripts. */
  private get openIndex(): string {
    return this.keys.global('directline', 'all', 'open');
  }

  async open(conversationId: string): Promise<'created' | 'existing'> {
    const created = await guarded(() => this.client.set(this.keysOf(conversationId).open, 'new', 'EX', this.unstartedTtlSec, 'NX'));
    if (created === 'OK') await this.indexUntil(conversationId, this.unstartedTtlSec);
    return created === 'OK' ? 'created' : 'existing';
  }

  /** The open-conversation index counts a conversation until its keys would expire. */
  private indexUntil(conversationId: string, ttlSec: number): Promise<unknown> {
    return guarded(() => this.client.zadd(this.openIndex, Date.now() + ttlSec * 1000, conversationId));
  }

  async openCount(): Promise<number> {
    return guarded(async () => {
      // One transaction, one round trip: drop the expired, count the rest.
      const replies = await this.client.multi().zremrangebyscore(this.openIndex, '-inf', Date.now()).zcard(this.openIndex).exec();
      const [error, count] = replies?.[1] ?? [new Error('redis transaction aborted')];
      if (error) throw error;
      return count as number;
    });
  }

  async exists(conversationId: string): Promise<boolean> {
    return (await guarded(() => this.client.exists(this.keysOf(conversationId).open))) === 1;
  }

  async append(conversationId: string, activity: Partial<Activity>, dedupeKey?: string): Promise<Appended> {
    const k = this.keysOf(conversationId);
    const message = activity.type === 'message' ? '1' : '0';
    const [seq, duplicate, completed, startedNow] = (await guarded(() =>
      this.appendScript([k.open, k.log, k.dedupe], [encodeCompact(activity), this.ttlSec, dedupeKey ?? '', this.unstartedTtlSec, message]),
    )) as [number, number, number, number];
    if (seq < 0) throw new UnknownConversationError(conversationId);
    if (startedNow === 1) await this.indexUntil(conversationId, this.ttlSec);
    return { seq, duplicate: duplicate === 1, completed: completed === 1 };
  }

  async complete(conversationId: string, dedupeKey: string): Promise<void> {
    await guarded(() => this.completeScript([this.keysOf(conversationId).dedupe], [dedupeKey]));
  }

  async appendReplies(conversationId: string, activities: Partial<Activity>[]): Promise<number> {
    const k = this.keysOf(conversationId);
    const first = (await guarded(() => this.repliesScript([k.open, k.log, k.dedupe], [this.ttlSec, this.unstartedTtlSec, ...activities.map((a) => encodeCompact(a))]))) as number;
    if (first < 0) throw new UnknownConversationError(conversationId);
    return first;
  }

  async read(conversationId: string, afterSeq: number | undefined, limit: number): Promise<LogEntry[]> {
    const k = this.keysOf(conversationId);
    const start = afterSeq === undefined ? 0 : afterSeq + 1;
    const [exists, items] = await guarded(async () => {
      const replies = await this.client.multi().exists(k.open).lrangeBuffer(k.log, start, start + limit - 1).exec();
      return [replies?.[0]?.[1], replies?.[1]?.[1]] as [number, Buffer[]];
    });
    if (exists !== 1) throw new UnknownConversationError(conversationId);
    return items.map((stored, i) => ({ seq: start + i, activity: decodeCompact(stored) as Partial<Activity> }));
  }
}
