/**
 * The same stores on a real three-node Redis Cluster (test-owned, on free ports): the Lua
 * compare-and-set, the lock and exactly-once arrangements only work there if every key a command
 * or script touches sits in one slot, which is what the hash tags promise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { openStores, type Stores } from '../../bot/storage/index.js';
import { connectRedis, defineVariadicScript } from '../../bot/storage/redis.js';
import { startOwnedCluster, type OwnedCluster } from '../support/redisServer.js';
import { arrangementFor } from './fixtures.js';

let cluster: OwnedCluster;
let instances: [Stores, Stores];

beforeAll(async () => {
  cluster = await startOwnedCluster();
  const settings = { clusterNodes: cluster.nodes };
  instances = [await openStores(settings), await openStores(settings)];
});
afterAll(async () => {
  await Promise.all(instances?.map((s) => s.close()) ?? []);
  await cluster?.dispose();
});

describe('Redis Cluster', () => {
  it('reports itself as a cluster and is up', async () => {
    expect(await instances[0].health()).toEqual({ status: 'up', backend: 'redis-cluster' });
  });

  it('spreads conversations over several nodes (the test would prove nothing on one slot owner)', async () => {
    const admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    try {
      const writes = Array.from({ length: 30 }, (_, i) => `directline/conversations/spread-${i}`);
      await Promise.all(writes.map((k) => instances[0].storage.write({ [k]: { v: 1 } })));
      const counts = await Promise.all(admin.nodes('master').map((node) => node.dbsize()));
      expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1);
    } finally {
      admin.disconnect();
    }
  });

  it('eTag compare-and-set: of racing writers exactly one wins', async () => {
    const key = 'directline/conversations/cluster-race';
    await instances[0].storage.write({ [key]: { winner: null } });
    const base = (await instances[1].storage.read([key]))[key]!;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => instances[i % 2]!.storage.write({ [key]: { ...base, winner: i } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('lock, dedupe and exactly-once arrangements across two instances', async () => {
    let counter = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        instances[i % 2]!.lock.withLock('cluster-conv', async () => {
          const read = counter;
          await new Promise((r) => setTimeout(r, 1));
          counter = read + 1;
        }),
      ),
    );
    expect(counter).toBe(20);

    const seen = await Promise.all(
      Array.from({ length: 10 }, (_, i) => instances[i % 2]!.dedupe.firstSeen('wechat', 'msg-1', 60)),
    );
    expect(seen.filter(Boolean)).toHaveLength(1);

    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        instances[i % 2]!.arrangements.createOnce('cluster-conv', arrangementFor('cluster-conv', 'acct-c')),
      ),
    );
    expect(made.filter((m) => m.created)).toHaveLength(1);
    const { arrangement } = made[0]!;
    expect(await instances[1].arrangements.get(arrangement.reference)).toEqual(arrangement);
    expect(await instances[0].arrangements.listByConversation('cluster-conv')).toEqual([arrangement]);
    expect(await instances[1].arrangements.listByAccount('acct-c')).toEqual([arrangement]);
  });

  it('sends a script whose key count is its first argument to its keys\' node, whatever else the same tick sends', async () => {
    // ioredis's auto-pipelining picks a custom command's node by its first argument, here the count
    // "1": a key on another node, sent in the same tick as a command for the count's node, would share
    // that node's pipeline, which ioredis then refuses whole (the transcript batch and the turn's commit
    // are such scripts).
    const connection = connectRedis({ clusterNodes: cluster.nodes });
    try {
      await connection.ready();
      const client = connection.client as Cluster;
      const nodeOf = async (key: string) => client.slots[(await client.cluster('KEYSLOT', key)) as number]!.join(',');
      const countNode = await nodeOf('1');
      const candidates = Array.from({ length: 64 }, (_, i) => `variadic-${i}`);
      const nodes = await Promise.all(candidates.map(nodeOf));
      const elsewhere = candidates.find((_, i) => nodes[i] !== countNode)!;
      const there = candidates.find((_, i) => nodes[i] === countNode)!;
      await client.set(elsewhere, 'found');
      const get = defineVariadicScript<string>(client, 'testVariadicGet', () => "return redis.call('GET', KEYS[1])");
      expect(await Promise.all([get([elsewhere], []), client.get(there)])).toEqual(['found', null]);
    } finally {
      await connection.close();
    }
  });
});
