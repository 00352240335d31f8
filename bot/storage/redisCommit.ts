/**
 * A turn's commit: the writes a turn makes under its conversation's Redis lease (its state, its
 * replies in the Direct Line log, the mark that its delivery completed) are held back and sent with
 * the lease's release as one Lua script — one round trip at the end of a turn instead of one per
 * write. The stores defer their writes with `deferToCommit` (bot/storage/lock.ts) and register the
 * Lua of each kind of write here; the lock runs the script when the turn returns.
 */
import { defineVariadicScript, type RedisClient } from './redis.js';

/**
 * Lua of one kind of commit op: `check` and `write` are bodies of functions of `K` and `A`, the
 * indexes of the op's first key in KEYS and first argument in ARGV. `check` returns nothing to
 * let the commit go on, or a string refusing it (then nothing of the commit is written). Every
 * check runs before the first write, so a turn's writes are stored all together or not at all.
 * Both see `memo`, a table of the script's run: what a check read that its write needs again is
 * kept there under the op's `K` (by the script that runs the op alone too), not read twice.
 */
export interface CommitLua {
  check: string;
  write: string;
}

/**
 * One write of a turn, sent in the round trip that ends the turn (the lease's release) instead of
 * on its own. `kind` names Lua registered with `commitKind`; its keys are in the conversation's slot.
 */
export interface CommitOp {
  kind: string;
  keys: string[];
  args: Array<string | number | Buffer>;
  /** The error a refusal of its check stands for (the check's reply, a string). */
  refused(reply: string): Error;
  /** For a refusal the op can answer (e.g. re-sealing against a moved head): itself amended, to commit again; null: give up. */
  reseal?(reply: string): Promise<CommitOp | null>;
}

/** What a Redis lease holds back until its turn ends. */
export interface TurnCommit {
  ops: CommitOp[];
  /** Run in order once the commit is stored (e.g. telling open streams that the log grew). */
  after: (() => unknown)[];
  /** Started once the turn has ended, stored or not, and not awaited by it: after its reply (see `afterTurn`). */
  afterTurn: { fn: () => Promise<unknown>; onError: (error: unknown) => void }[];
  /** Per-turn facts the stores note for each other (e.g. the Direct Line log's length). */
  notes: LeaseNotes;
}

declare const noteType: unique symbol;
/** The name of a lease note and the type of its value; made only by `noteKey`, so a plain string is not one. */
export type NoteKey<T> = string & { readonly [noteType]: T };

/** Names a lease note whose value is a `T` (one constant per note, in the module that keeps it). */
export function noteKey<T>(name: string): NoteKey<T> {
  return name as NoteKey<T>;
}

/** A lease's notes: each read and written as the type its key declares, so a misuse does not compile. */
export class LeaseNotes {
  private readonly values = new Map<string, unknown>();

  get<T>(key: NoteKey<T>): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set<T>(key: NoteKey<T>, value: T): void {
    this.values.set(key, value);
  }
}

/** Packs what a store keeps of a conversation into fewer values; its result is not used. */
type Packer = () => Promise<unknown>;

/** The lease note holding `packAtOutcome`'s packers, by name. */
const PACKERS = noteKey<Map<string, Packer>>('conversation:packers');

/**
 * Registers, for the turn whose lease holds `notes`, how a store packs what it keeps of the
 * conversation as many small values into one (the Direct Line log), should this turn record the
 * conversation's outcome: the transcript store then runs it beside its own packing, once the turn
 * is stored, so their reads and their writes go out together (the client pipelines one tick's
 * commands: no round trip of their own). One packer per `name`; a failed pack leaves more values.
 */
export function packAtOutcome(notes: LeaseNotes, name: string, pack: Packer): void {
  const packers = notes.get(PACKERS) ?? new Map<string, Packer>();
  packers.set(name, pack);
  notes.set(PACKERS, packers);
}

/** The packers registered for the turn with `notes`. */
export function packersAtOutcome(notes: LeaseNotes | undefined): Packer[] {
  return [...(notes?.get(PACKERS)?.values() ?? [])];
}

const kinds = new Map<string, CommitLua>();

/** Registers the Lua of a kind of commit op (at module load, by the store that defers such writes). */
export function commitKind(kind: string, lua: CommitLua): void {
  if (!/^[a-z][A-Za-z]*$/.test(kind)) throw new Error(`commit kind "${kind}": letters only`);
  kinds.set(kind, lua);
}

/**
 * KEYS[1] the lock, ARGV[1] the lease's token, ARGV[2] the number of ops, then per op its kind,
 * key count and argument count followed by its arguments (its keys follow the lock in KEYS).
 * Refuses when the lease is no longer this holder's; otherwise runs every op's check, then every
 * op's write, then releases the lease. Answers {0} when stored, {i, reason} when op i (0: the
 * lease) refused.
 */
function commitLua(): string {
  const fns = [...kinds].map(([kind, lua]) => `check['${kind}'] = function(K, A)${lua.check}\nend\nwrite['${kind}'] = function(K, A)${lua.write}\nend`);
  return `
local check, write, memo = {}, {}, {}
${fns.join('\n')}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, 'lost'} end
local ops = {}
local k, a = 2, 3
for i = 1, tonumber(ARGV[2]) do
  local nk, na = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  ops[i] = {ARGV[a], k, a + 3}
  k, a = k + nk, a + 3 + na
end
for i, op in ipairs(ops) do
  local refused = check[op[1]](op[2], op[3])
  if refused then return {i, refused} end
end
for _, op in ipairs(ops) do write[op[1]](op[2], op[3]) end
redis.call('DEL', KEYS[1])
return {0}
`;
}

/** Runs the commit of `ops` under the lease `token` on `lockKey`: [0] stored and released, [i, reason] refused. */
export async function runCommit(client: RedisClient, lockKey: string, token: string, ops: CommitOp[]): Promise<[number, string?]> {
  // Named by the kinds it knows: a kind registered later gets a script of its own.
  const commit = defineVariadicScript<[number, string?]>(client, `forbearTurnCommit${kinds.size}`, commitLua);
  const keys = [lockKey, ...ops.flatMap((op) => op.keys)];
  return commit(keys, [token, ops.length, ...ops.flatMap((op) => [op.kind, op.keys.length, op.args.length, ...op.args])]);
}
