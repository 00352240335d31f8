/**
 * The conversation activity log behind Direct Line: an append-only list per conversation whose
 * positions are the watermarks. A port, so a shared store (Redis) can replace the in-process one
 * when several instances serve the same conversations.
 */
import type { Activity } from 'botbuilder';
import { compactJsonText, decodeCompact } from '../../storage/compact.js';

export interface LogEntry {
  /** position in the log, from 0; the Direct Line watermark of this activity */
  seq: number;
  activity: Partial<Activity>;
}

export interface Appended {
  seq: number;
  /** true when `dedupeKey` was seen before: nothing was appended and `seq` is the earlier entry's */
  duplicate: boolean;
  /**
   * For a duplicate: the earlier delivery's turn completed (`complete` was called). False for a new
   * entry, and for one logged by a delivery that failed before its turn ended (a crash, a store outage).
   */
  completed: boolean;
}

export class UnknownConversationError extends Error {
  constructor(conversationId: string) {
    super(`no Direct Line conversation "${conversationId}"`);
    this.name = 'UnknownConversationError';
  }
}

/**
 * A conversation nobody has written in yet (opened, greeted, never a cardholder message) lives
 * `unstartedTtlSec`; the first client message gives it the normal idle TTL.
 */
export interface ConversationLog {
  /** Starts the conversation unless it exists; it is unstarted until a client message is appended. */
  open(conversationId: string): Promise<'created' | 'existing'>;
  exists(conversationId: string): Promise<boolean>;
  /** How many conversations were opened within the last `ttlSec` and not yet expired (approximate across instances). */
  openCount(): Promise<number>;
  /**
   * Appends atomically. A `dedupeKey` (the client's activity id) already used in this conversation
   * appends nothing, so a retried POST can never produce a second turn.
   * @throws UnknownConversationError
   */
  append(conversationId: string, activity: Partial<Activity>, dedupeKey?: string): Promise<Appended>;
  /**
   * Records that the turn of the activity logged under `dedupeKey` ran to its end: a later delivery
   * of it is then answered without a turn. Nothing happens for an unknown key or conversation.
   */
  complete(conversationId: string, dedupeKey: string): Promise<void>;
  /**
   * Appends the bot's replies of one turn together, in order, in one step; answers the seq of the
   * first. @throws UnknownConversationError
   */
  appendReplies(conversationId: string, activities: Partial<Activity>[]): Promise<number>;
  /** Entries after `afterSeq` (from the start when undefined), oldest first, at most `limit`. */
  read(conversationId: string, afterSeq: number | undefined, limit: number): Promise<LogEntry[]>;
}

/** Client activities no reply followed (events, a failed turn) are compacted after this many. */
const MAX_PENDING = 16;

interface MemoryConversation {
  /**
   * The log before `pending`, as compact chunks (bot/storage/compact.ts, latin1 text): each the
   * activities of one turn — the client's message and the bot's replies — as one JSON array, made
   * when the replies are appended (or the turn completes without any).
   * One value per turn, not per activity: a third of the DEFLATE calls, fewer and smaller values.
   */
  chunks: string[];
  /** seq of each chunk's first activity */
  starts: number[];
  /** The turn in progress, before its replies: each activity's JSON (a copy later changes by the bot cannot reach). */
  pending: string[];
  /** activities in the log */
  length: number;
  /** client activity id → its seq, and whether its turn completed */
  dedupe: Map<string, { seq: number; completed: boolean }>;
  /** a client message was appended */
  started: boolean;
  expiresAtMs: number;
}

/**
 * One process only; conversations expire `ttlSec` after their last activity (`unstartedTtlSec` before
 * the first client message).
 *
 * The conversations are held in two maps, one per TTL, each kept in the order its members expire:
 * every activity moves its conversation to the end of its map (deleted and set again), and its new
 * expiry is the latest there, as all in one map get the same TTL from the same clock. The expired
 * are then always at the front, so dropping them (on every `open` and `openCount`) looks at each once
 * and at one live conversation per map: the open count is the two sizes, not a walk over them all.
 */
export class MemoryConversationLog implements ConversationLog {
  private readonly unstarted = new Map<string, MemoryConversation>();
  private readonly started = new Map<string, MemoryConversation>();
  /** The latest time the log has read: see `clock`. */
  private latest = -Infinity;

  constructor(
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
    private readonly unstartedTtlSec: number = ttlSec,
  ) {}

  async open(conversationId: string): Promise<'created' | 'existing'> {
    this.sweep();
    if (this.live(conversationId)) return 'existing';
    this.touch(conversationId, { chunks: [], starts: [], pending: [], length: 0, dedupe: new Map(), started: false, expiresAtMs: 0 });
    return 'created';
  }

  async exists(conversationId: string): Promise<boolean> {
    return this.live(conversationId) !== undefined;
  }

  async openCount(): Promise<number> {
    this.sweep();
    return this.unstarted.size + this.started.size;
  }

  async append(conversationId: string, activity: Partial<Activity>, dedupeKey?: string): Promise<Appended> {
    const conversation = this.live(conversationId);
    if (!conversation) throw new UnknownConversationError(conversationId);
    if (activity.type === 'message') conversation.started = true;
    this.touch(conversationId, conversation);
    const earlier = dedupeKey === undefined ? undefined : conversation.dedupe.get(dedupeKey);
    if (earlier !== undefined) return { seq: earlier.seq, duplicate: true, completed: earlier.completed };
    const seq = push(conversation, [activity]);
    if (dedupeKey !== undefined) conversation.dedupe.set(dedupeKey, { seq, completed: false });
    return { seq, duplicate: false, completed: false };
  }

  async complete(conversationId: string, dedupeKey: string): Promise<void> {
    const conversation = this.live(conversationId);
    const entry = conversation?.dedupe.get(dedupeKey);
    if (!conversation || !entry) return;
    entry.completed = true;
    compact(conversation);
  }

  async appendReplies(conversationId: string, activities: Partial<Activity>[]): Promise<number> {
    const conversation = this.live(conversationId);
    if (!conversation) throw new UnknownConversationError(conversationId);
    this.touch(conversationId, conversation);
    const first = push(conversation, activities);
    // A turn's replies are appended together, after the client message that began it.
    compact(conversation);
    return first;
  }

  async read(conversationId: string, afterSeq: number | undefined, limit: number): Promise<LogEntry[]> {
    const conversation = this.live(conversationId);
    if (!conversation) throw new UnknownConversationError(conversationId);
    const start = afterSeq === undefined ? 0 : afterSeq + 1;
    const end = Math.min(conversation.length, start + limit);
    const entries: LogEntry[] = [];
    const pendingFrom = conversation.length - conversation.pending.length;
    // The chunk holding `start`: the last one starting at or before it.
    let chunk = conversation.starts.length - 1;
    while (chunk > 0 && conversation.starts[chunk]! > start) chunk--;
    for (let seq = start; seq < end && seq < pendingFrom; chunk++) {
      const first = conversation.starts[chunk]!;
      const activities = decodeCompact(conversation.chunks[chunk]!) as Partial<Activity>[];
      for (; seq < end && seq - first < activities.length; seq++) entries.push({ seq, activity: activities[seq - first]! });
    }
    for (let seq = Math.max(start, pendingFrom); seq < end; seq++) {
      entries.push({ seq, activity: JSON.parse(conversation.pending[seq - pendingFrom]!) as Partial<Activity> });
    }
    return entries;
  }

  private live(conversationId: string): MemoryConversation | undefined {
    const conversation = this.started.get(conversationId) ?? this.unstarted.get(conversationId);
    return conversation && conversation.expiresAtMs > this.clock() ? conversation : undefined;
  }

  /** Activity: a new expiry, and the conversation goes to the end of its TTL's map (the first message moves it to `started`). */
  private touch(conversationId: string, conversation: MemoryConversation): void {
    this.unstarted.delete(conversationId);
    this.started.delete(conversationId);
    conversation.expiresAtMs = this.clock() + (conversation.started ? this.ttlSec : this.unstartedTtlSec) * 1000;
    (conversation.started ? this.started : this.unstarted).set(conversationId, conversation);
  }

  /**
   * The time, never earlier than a time read before: if the system clock steps back (an NTP
   * correction), expiries set after the step would be earlier than ones set before it, the maps would
   * no longer be in expiry order, and the sweep would stop at a live conversation in front of expired
   * ones, so the open count would count them. Until the clock catches up, conversations live that
   * much longer instead.
   */
  private clock(): number {
    this.latest = Math.max(this.latest, this.now());
    return this.latest;
  }

  /** Drops the expired conversations: the front of each map, up to its first live one. */
  private sweep(): void {
    const t = this.clock();
    for (const conversations of [this.unstarted, this.started]) {
      for (const [id, conversation] of conversations) {
        if (conversation.expiresAtMs > t) break;
        conversations.delete(id);
      }
    }
  }
}

/** Adds activities to the turn in progress; answers the seq of the first. */
function push(conversation: MemoryConversation, activities: Partial<Activity>[]): number {
  const first = conversation.length;
  for (const activity of activities) conversation.pending.push(JSON.stringify(activity));
  conversation.length += activities.length;
  if (conversation.pending.length >= MAX_PENDING) compact(conversation);
  return first;
}

/** The turn in progress becomes one compact chunk. */
function compact(conversation: MemoryConversation): void {
  if (conversation.pending.length === 0) return;
  conversation.starts.push(conversation.length - conversation.pending.length);
  // The array's JSON from its members' JSON: each activity is serialised once.
  conversation.chunks.push(compactJsonText(`[${conversation.pending.join(',')}]`));
  conversation.pending = [];
}
