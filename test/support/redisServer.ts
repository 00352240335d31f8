/**
 * A test-owned redis-server on its own free port, for tests that stop and restart Redis. It never
 * touches the shared server on 6379. With `persistent`, the append-only file is fsynced on every
 * write into a private directory, so what Redis acknowledged survives a kill -9 and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { until } from './until.js';

export interface OwnedRedis {
  readonly port: number;
  readonly url: string;
  /** kill -9: a crash, not a shutdown (no final save). */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server is there but answers nothing. */
  freeze(): void;
  thaw(): void;
  /** Starts again on the same port and data directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function answersPing(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false; // not up yet
  } finally {
    probe.disconnect();
  }
}

export async function startOwnedRedis(options: { persistent: boolean; clusterNode?: boolean }): Promise<OwnedRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'forbear-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push(...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  if (options.clusterNode) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'));
  let child: ChildProcess | null = null;

  const start = async () => {
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    started.once('error', (e) => {
      throw new Error(`cannot start redis-server (is it installed?): ${e.message}`);
    });
    child = started;
    await until(() => answersPing(port));
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGCONT');
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    start,
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnedCluster {
  /** `host:port` seeds, as REDIS_CLUSTER_NODES takes them. */
  readonly nodes: string[];
  dispose(): Promise<void>;
}

/** A three-primary Redis Cluster (no replicas) on free ports, slots spread by `redis-cli --cluster create`. */
export async function startOwnedCluster(): Promise<OwnedCluster> {
  const servers = await Promise.all([0, 1, 2].map(() => startOwnedRedis({ persistent: false, clusterNode: true })));
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  const dispose = async () => void (await Promise.all(servers.map((s) => s.dispose())));
  const create = spawn('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => create.once('exit', resolve));
  if (code !== 0) {
    await dispose();
    throw new Error(`redis-cli --cluster create exited with ${code}`);
  }
  const probe = new Redis({ port: servers[0]!.port, host: '127.0.0.1' });
  try {
    await until(async () => String(await probe.cluster('INFO')).includes('cluster_state:ok'));
  } finally {
    probe.disconnect();
  }
  return { nodes, dispose };
}

/**
 * Calls of each command since the server started or the last CONFIG RESETSTAT (`INFO commandstats`,
 * which counts a script's inner calls too): what the command-count tests read, on a Redis of their own.
 */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, count] of (await client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[name!] = Number(count);
  return calls;
}
