import { describe, expect, it } from 'vitest';
import { WebChatInbox } from '../../bot/lifecycle/channels.js';
import { memoryStores } from '../../bot/storage/index.js';
import type { KeyValueStore } from '../../bot/storage/keyValue.js';
import { fixedClock } from '../../conversation/clock.js';

describe('the Web Chat inbox', () => {
  const setUp = () => {
    const stores = memoryStores();
    // The inbox's own store, to see what it keeps.
    let stored: KeyValueStore<unknown> | undefined;
    const inbox = new WebChatInbox({ ...stores, keyValue: (options) => (stored = stores.keyValue(options)) }, fixedClock('2026-12-19T02:00:00Z'));
    return { inbox, stored: stored! };
  };

  it('taking from an empty inbox stores nothing (no empty inbox kept per cardholder)', async () => {
    const { inbox, stored } = setUp();
    expect(await inbox.take('acct-1')).toEqual([]);
    expect(await stored.get('acct-1')).toBeUndefined();
  });

  it('hands over what waits once', async () => {
    const { inbox } = setUp();
    await inbox.send({ key: 'r1', purpose: 'reminder', conversationId: 'c1', accountId: 'acct-1', channel: 'directline', language: 'zh-CN', messageKey: 'lifecycle.reminder', text: '提醒' });
    expect((await inbox.take('acct-1')).map((m) => m.key)).toEqual(['r1']);
    expect(await inbox.take('acct-1')).toEqual([]);
  });
});
