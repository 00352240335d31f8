/**
 * Signed checkpoints of transcript heads, kept outside Redis — the anchor that makes a cut tail
 * with a moved head, or a conversation deleted wholesale, detectable by someone who can write
 * Redis but not this sink (as Certificate Transparency's signed tree heads, or a ledger database's
 * published digests). The default sink is a directory of append-only JSON Lines files, one file
 * per process so writers never interleave; point every instance at the same directory (a shared
 * volume) or collect the files before verifying. In production, ship the files to an object store
 * with a retention lock (S3 Object Lock, Azure immutable blobs) so that nobody can rewrite them.
 *
 * A checkpoint is written after every successful append, so each one names a record that really
 * is in Redis; appends that arrive while a write is in flight are written together (group commit).
 * A process keeps its file open for appending (one descriptor, `O_APPEND`) rather than opening
 * and closing it for every write, which was one open and one close a turn; each write still
 * reaches the file, as before, before its append resolves. So collect a running process's file by
 * copying it, never by moving or deleting it: its later checkpoints would go to the removed file.
 */
import { randomBytes } from 'node:crypto';
import { close as closeFd, open as openFd, write } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from './chain.js';

export interface CheckpointLog {
  /**
   * Resolves once the checkpoints are in the sink. They come from `Chain.checkpoint`, so they are
   * not parsed again here; what is read back from the sink is (`refresh`).
   */
  append(checkpoints: readonly Checkpoint[]): Promise<void>;
  /** The checkpoint with the highest seq for the conversation, from any instance's writes. */
  latest(conversationId: string): Promise<Checkpoint | null>;
  /** Every conversation a checkpoint names: what an audit of the whole store compares against. */
  conversations(): Promise<string[]>;
  /** After every append made so far is in the sink, releases what the log holds open; a later append opens it again. */
  close(): Promise<void>;
}

/** Keeps the highest seq per conversation. */
class LatestIndex {
  private readonly byConversation = new Map<string, Checkpoint>();

  add(checkpoint: Checkpoint): void {
    const known = this.byConversation.get(checkpoint.conversationId);
    if (!known || checkpoint.seq >= known.seq) this.byConversation.set(checkpoint.conversationId, checkpoint);
  }

  get(conversationId: string): Checkpoint | null {
    return this.byConversation.get(conversationId) ?? null;
  }

  ids(): string[] {
    return [...this.byConversation.keys()];
  }
}

/** For the embedded, in-memory set-up: the transcripts die with the process, and so do their anchors. */
export class MemoryCheckpointLog implements CheckpointLog {
  private readonly index = new LatestIndex();

  async append(checkpoints: readonly Checkpoint[]): Promise<void> {
    for (const c of checkpoints) this.index.add(c);
  }

  async close(): Promise<void> {}

  async latest(conversationId: string): Promise<Checkpoint | null> {
    return this.index.get(conversationId);
  }

  async conversations(): Promise<string[]> {
    return this.index.ids();
  }
}

const FILE_SUFFIX = '.jsonl';

export class FileCheckpointLog implements CheckpointLog {
  readonly file: string;
  private readonly index = new LatestIndex();
  /** How far each file in the directory has been read. */
  private readonly offsets = new Map<string, number>();
  private pending: string[] | null = null;
  private pendingDone: Promise<void> = Promise.resolve();
  private tail: Promise<void> = Promise.resolve();
  private ready: Promise<void> | null = null;
  /** This process's file, open for appending from the first write on until `close` (the app's). */
  private fd: Promise<number> | null = null;

  constructor(private readonly dir: string) {
    // Unique per process, so two writers never share a file.
    this.file = join(dir, `checkpoints-${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}${FILE_SUFFIX}`);
  }

  private prepare(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  append(checkpoints: readonly Checkpoint[]): Promise<void> {
    const lines = checkpoints.map((c) => `${JSON.stringify(c)}\n`);
    if (this.pending) {
      this.pending.push(...lines);
      return this.pendingDone;
    }
    const batch = [...lines];
    this.pending = batch;
    this.pendingDone = this.tail.then(async () => {
      this.pending = null;
      await writeAll(await this.descriptor(), Buffer.from(batch.join(''), 'utf8'));
    });
    this.tail = this.pendingDone.catch(() => undefined);
    return this.pendingDone;
  }

  private descriptor(): Promise<number> {
    if (!this.fd) {
      const opening = this.prepare().then(
        () => new Promise<number>((resolve, reject) => openFd(this.file, 'a', (err, fd) => (err ? reject(err) : resolve(fd)))),
      );
      // A failed open is tried again by the next write.
      opening.catch(() => (this.fd = null));
      this.fd = opening;
    }
    return this.fd;
  }

  async close(): Promise<void> {
    await this.tail;
    const fd = this.fd;
    this.fd = null;
    const opened = await fd?.catch(() => null);
    if (opened !== null && opened !== undefined) await new Promise<void>((resolve, reject) => closeFd(opened, (err) => (err ? reject(err) : resolve())));
  }

  async latest(conversationId: string): Promise<Checkpoint | null> {
    await this.refresh();
    return this.index.get(conversationId);
  }

  async conversations(): Promise<string[]> {
    await this.refresh();
    return this.index.ids();
  }

  /** Reads what every process has appended since the last look. */
  private async refresh(): Promise<void> {
    await this.prepare();
    await this.tail;
    for (const name of (await readdir(this.dir)).filter((n) => n.endsWith(FILE_SUFFIX)).sort()) {
      const path = join(this.dir, name);
      const from = this.offsets.get(path) ?? 0;
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size <= from) continue;
        const buffer = Buffer.alloc(size - from);
        await handle.read(buffer, 0, buffer.length, from);
        const text = buffer.toString('utf8');
        // Only whole lines: a line being written by another process is read next time.
        const complete = text.lastIndexOf('\n') + 1;
        for (const line of text.slice(0, complete).split('\n')) {
          if (line.trim() === '') continue;
          const parsed = Checkpoint.safeParse(safeJson(line));
          // A line that is not a checkpoint at all is ignored here; a well-formed one with a bad signature is caught by verify.
          if (parsed.success) this.index.add(parsed.data);
        }
        this.offsets.set(path, from + Buffer.byteLength(text.slice(0, complete), 'utf8'));
      } finally {
        await handle.close();
      }
    }
  }
}

/** Writes every byte (a write may take fewer than it was given, as `appendFile` loops too). */
async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  for (let from = 0; from < bytes.length; ) {
    from += await new Promise<number>((resolve, reject) =>
      write(fd, bytes, from, bytes.length - from, null, (err, written) => (err ? reject(err) : resolve(written))),
    );
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
