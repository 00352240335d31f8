/**
 * The product on a real three-primary Redis Cluster (test-owned, free ports): two instances serve
 * one conversation, alternating, through Direct Line over HTTP. Every Lua script (eTag
 * compare-and-set, Direct Line append, exactly-once arrangement) touches keys of one conversation
 * only, which the `{conv:<id>}` hash tag keeps in one slot; a cross-slot key would fail here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import type { Arrangement } from '../../bot/storage/index.js';
import { startOwnedCluster, type OwnedCluster } from '../support/redisServer.js';
import { Cardholder, events, probe, setUpOnce, startInstance, type Instance } from '../support/fleet.js';

let cluster: OwnedCluster;
let a: Instance;
let b: Instance;

setUpOnce(async () => {
  cluster = await startOwnedCluster();
  const settings = { clusterNodes: cluster.nodes, prefix: 'forbear-scale-cluster:' };
  [a, b] = await Promise.all([startInstance('a', settings), startInstance('b', settings)]);
});
afterAll(async () => {
  await Promise.all([a?.server.close(), b?.server.close()]);
  await cluster?.dispose();
});

describe('Redis Cluster', () => {
  it('serves a whole conversation alternating between two instances, each conversation\'s keys in one slot', async () => {
    expect([await probe(a, '/readyz'), await probe(b, '/readyz')]).toEqual([200, 200]);
    const c = await Cardholder.open(a, b);
    await c.greeted(a);
    for (const [i, text] of ['失业了', '4821', '1988-03-14', '月收入八千', '开支三千', '对', '接受', '同意'].entries()) {
      await c.say(i % 2 ? b : a, text);
    }
    const [arrangement, ...more] = await b.forbear.stores.arrangements.listByConversation(c.conversationId);
    expect(more).toEqual([]);
    expect(arrangement!.reference).toMatch(/^FB-/);
    expect(await a.forbear.stores.arrangements.get(arrangement!.reference)).toEqual(arrangement);
    const log = await c.log(b);
    expect(await c.log(a)).toEqual(log);
    expect(events(log, 'agreement').map((e) => (e.value as Arrangement).reference)).toEqual([arrangement!.reference]);
    expect((await b.forbear.transcripts.read(c.conversationId)).length).toBeGreaterThan(0);

    // Every key of the conversation sits in one slot (the hash tag's), whichever node holds it.
    const admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    try {
      await new Promise((resolve) => admin.once('ready', resolve));
      const tag = `{conv:${encodeURIComponent(c.conversationId)}}`;
      const keys = (
        await Promise.all(admin.nodes('master').map((node) => node.keys(`forbear-scale-cluster:*${tag}*`)))
      ).flat();
      // Direct Line log, its dedupe and marker, conversation state, transcript, arrangement index.
      expect(keys.some((k) => k.includes(':state:'))).toBe(true);
      expect(keys.length).toBeGreaterThanOrEqual(6);
      const slots = new Set(await Promise.all(keys.map((k) => admin.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      admin.disconnect();
    }
  });
});
