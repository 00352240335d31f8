/**
 * The moves from an earlier version's one-list records (the ledger book's active index, the handoff
 * queue) into their member and ranked sets, while an instance of the earlier version still writes
 * the list (a rolling upgrade), on the memory stores with a hook in the window between the move's
 * read of the list and its taking the moved entries off.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { memoryStores, type KeyValueStore, type Stores } from '../../bot/storage/index.js';
import { MemoryMemberSet, MemoryRankedSet } from '../../bot/storage/sets.js';
import { LedgerBook, type LedgerBookDeps } from '../../bot/lifecycle/ledgerBook.js';
import { QueueDesk, type DeskDependencies } from '../../bot/handoff/desk.js';
import { fixedClock } from '../../conversation/clock.js';

/** Memory stores whose records of `namespace` are one shared store (an earlier-version instance writes the same record). */
function storesSharing(namespace: string, extra: Partial<Stores>): { stores: Stores; shared: () => KeyValueStore<any> } {
  const base = memoryStores();
  let shared: KeyValueStore<any> | undefined;
  const stores: Stores = {
    ...base,
    ...extra,
    keyValue: ((options) => {
      if (options.namespace === namespace) return (shared ??= base.keyValue(options));
      // Tickets unchecked: these tests are about the queue, not a whole ticket.
      return options.namespace === 'handoff-ticket' ? base.keyValue({ ...options, schema: z.any() as never }) : base.keyValue(options);
    }) as Stores['keyValue'],
  };
  return { stores, shared: () => shared! };
}

const entry = (conversationId: string) => ({ conversationId, urgency: 'normal' as const, openedAt: '2026-11-22T01:00:00.000Z' });

describe('moving an earlier version one-list record', () => {
  it('ledger book: a reference the earlier version adds while the list is being moved is not lost', async () => {
    const active = new MemoryMemberSet();
    let raced = false;
    const racing = Object.assign(Object.create(active) as MemoryMemberSet, {
      async add(member: string) {
        await active.add(member);
        if (raced) return;
        raced = true; // an earlier-version consent, between the move's read and its taking the list off
        await legacy().update('active', (list: string[] = []) => [...list, 'FB-2026-0LD0-0002']);
      },
    });
    const { stores, shared: legacy } = storesSharing('ledger-index', { memberSet: () => racing });
    const book = new LedgerBook({ stores } as unknown as LedgerBookDeps);
    await legacy().set('active', ['FB-2026-0LD0-0001']);

    await book.activeReferences();
    expect((await book.activeReferences()).sort()).toEqual(['FB-2026-0LD0-0001', 'FB-2026-0LD0-0002']);
    expect(await legacy().get('active')).toEqual([]);
  });

  it('handoff desk: a case the earlier version queues while the list is being moved is not lost', async () => {
    const queue = new MemoryRankedSet();
    let raced = false;
    const racing = Object.assign(Object.create(queue) as MemoryRankedSet, {
      async put(member: string, score: number) {
        const rank = await queue.put(member, score);
        if (!raced) {
          raced = true;
          await legacy().update('open', (list: unknown[] = []) => [...list, entry('queued-meanwhile')]);
        }
        return rank;
      },
    });
    const { stores, shared: legacy } = storesSharing('handoff-queue', { rankedSet: () => racing });
    const desk = new QueueDesk({ stores, clock: fixedClock('2026-11-22T02:00:00Z') } as unknown as DeskDependencies);
    await legacy().set('open', [entry('queued-before')]);

    await desk.list();
    await desk.list();
    expect((await queue.entries()).map(([member]) => member)).toEqual(['queued-before', 'queued-meanwhile']);
  });

  it('handoff desk: a case finished before any open or list is not moved into the queue after', async () => {
    const queue = new MemoryRankedSet();
    const { stores, shared: legacy } = storesSharing('handoff-queue', { rankedSet: () => queue });
    const desk = new QueueDesk({ stores, clock: fixedClock('2026-11-22T02:00:00Z') } as unknown as DeskDependencies);
    await legacy().set('open', [entry('finished'), entry('waiting')]);
    await desk.tickets.set('finished', { status: 'claimed' } as never);

    await desk.finish('finished', 'closed', 'arrangement');
    await desk.list();
    expect((await queue.entries()).map(([member]) => member)).toEqual(['waiting']);
  });

  it('handoff desk: an entry whose opening time is unreadable is queued as opened at the move, logged, and the others moved with it', async () => {
    const queue = new MemoryRankedSet();
    const { stores, shared: legacy } = storesSharing('handoff-queue', { rankedSet: () => queue });
    const warn = vi.fn();
    const desk = new QueueDesk({ stores, clock: fixedClock('2026-11-22T02:00:00Z'), logger: { warn } } as unknown as DeskDependencies);
    await legacy().set('open', [
      { conversationId: 'unreadable', urgency: 'normal', openedAt: 'Sunday morning' },
      entry('readable'),
      // Parses, but past the score's range (1e13 ms): it would sort among the next urgency's cases.
      { conversationId: 'far-future', urgency: 'critical', openedAt: '2300-01-01T00:00:00.000Z' },
    ]);

    await desk.list();
    const movedAt = Date.parse('2026-11-22T02:00:00Z');
    expect(await queue.entries()).toEqual([
      ['far-future', movedAt],
      ['readable', 2e13 + Date.parse(entry('readable').openedAt)],
      ['unreadable', 2e13 + movedAt],
    ]);
    expect(await legacy().get('open')).toEqual([]);
    expect(warn.mock.calls.map(([fields]) => fields.conversationId)).toEqual(['unreadable', 'far-future']);
  });

  it('handoff desk: a moved case that an earlier-version instance finishes leaves the queue at the next list', async () => {
    const queue = new MemoryRankedSet();
    const { stores, shared: legacy } = storesSharing('handoff-queue', { rankedSet: () => queue });
    const desk = new QueueDesk({ stores, clock: fixedClock('2026-11-22T02:00:00Z') } as unknown as DeskDependencies);
    await legacy().set('open', [entry('finished-there'), entry('waiting')]);
    for (const id of ['finished-there', 'waiting']) await desk.tickets.set(id, { conversationId: id, status: 'waiting' } as never);
    await desk.list(); // both moved into the ranked set

    // The earlier version's finish: the ticket closed, the case taken off its own list only.
    await desk.tickets.update('finished-there', (t) => ({ ...t!, status: 'closed', outcome: 'arrangement' }));
    await legacy().update('open', (list: Array<{ conversationId: string }> = []) => list.filter((e) => e.conversationId !== 'finished-there'));

    expect((await desk.list()).map((t) => t.conversationId)).toEqual(['waiting']);
    expect((await queue.entries()).map(([member]) => member)).toEqual(['waiting']);
  });
});
