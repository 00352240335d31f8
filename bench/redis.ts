/**
 * A Redis the bench owns: its own `redis-server` on a free loopback port, so the command and read
 * counters it reports belong to the bench's servers alone (the shared 127.0.0.1:6379 carries other
 * people's traffic). No persistence: the bench measures the server, not the disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { ownChild } from './children.js';

export interface RedisCounters {
  /** Commands Redis executed (`total_commands_processed`; a script counts once, its inner calls in commandstats). */
  commands: number;
  /** Read events on client sockets (`total_reads_processed`): one per request or pipelined batch, i.e. round trips. */
  reads: number;
  /** Redis's own CPU (user + system), ms. */
  cpuMs: number;
}

export interface BenchRedis {
  url: string;
  counters(): Promise<RedisCounters>;
  /**
   * Bytes held per key category under `prefix` (MEMORY USAGE, all samples), and of those the bytes
   * of keys still there a day later without further activity (no TTL, or a TTL over 24 h).
   */
  bytesUnder(prefix: string): Promise<{ keys: number; bytes: number; bytesAfterADay: number; byCategory: Record<string, number> }>;
  /** Empties the bench's own server (never the shared one). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function info(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  return fields;
}

/** `…{conv:<id>}:transcript:head` → `transcript:head`; keys the bench cannot place go under their first part. */
function category(key: string, prefix: string): string {
  const rest = key.slice(prefix.length).replace(/\{[^}]*\}:?/g, '');
  const parts = rest.split(':').filter(Boolean);
  // A second part that names a kind (`transcript:head`) is kept; one that is an id (`contact:<job>`) is not.
  return (/^[a-z-]+$/.test(parts[1] ?? '') && parts[0] !== 'state' ? parts.slice(0, 2).join(':') : parts[0]) ?? 'other';
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const child: ChildProcess = ownChild(
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    { reaper: true },
  );
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) resolve();
    });
    child.once('error', (err) => reject(new Error(`redis-server: ${err.message} (is redis-server installed?)`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${String(code)}: ${log.slice(-400)}`)));
  });
  child.stdout!.resume();
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  await client.ping();

  return {
    url,
    async counters() {
      const stats = info(await client.info('all'));
      return {
        commands: Number(stats.get('total_commands_processed') ?? NaN),
        reads: Number(stats.get('total_reads_processed') ?? NaN),
        cpuMs: (Number(stats.get('used_cpu_user') ?? 0) + Number(stats.get('used_cpu_sys') ?? 0)) * 1000,
      };
    },
    async bytesUnder(prefix) {
      const byCategory: Record<string, number> = {};
      let keys = 0;
      let bytes = 0;
      let bytesAfterADay = 0;
      for await (const batch of client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        const pipeline = client.pipeline();
        for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', 0).pttl(key);
        const replies = (await pipeline.exec()) ?? [];
        batch.forEach((key, i) => {
          const size = Number(replies[2 * i]?.[1] ?? 0);
          const ttlMs = Number(replies[2 * i + 1]?.[1] ?? -1);
          keys++;
          bytes += size;
          // PTTL -1: no expiry; -2: gone since the scan (counted in neither).
          if (ttlMs === -1 || ttlMs > DAY_MS) bytesAfterADay += size;
          const c = category(key, prefix);
          byCategory[c] = (byCategory[c] ?? 0) + size;
        });
      }
      return { keys, bytes, bytesAfterADay, byCategory };
    },
    async flush() {
      await client.flushall();
    },
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
