/**
 * The returning cardholder through the real dialogs: after verification they hear where their
 * arrangement stands; "我下个月还不上分期了怎么办" becomes a change that supersedes it (never a second
 * active arrangement); "我已经还了" is checked against the ledger.
 */
import { describe, expect, it } from 'vitest';
import { harness, texts, events } from '../dialogs/harness.js';

async function agree(h: Awaited<ReturnType<typeof harness>>, id: string, lines: string[]) {
  let last: string[] = [];
  await h.open(id);
  for (const line of lines) last = texts(await h.say(id, line));
  return last;
}

describe('the returning cardholder', () => {
  it('is told the arrangement’s state, and a change of terms supersedes it', async () => {
    const h = await harness();
    await agree(h, 'ret-1', ['我失业了，这个月还不上', '4821', '1988-03-14', '每月八千', '房租和生活费三千', '对', '接受', '同意']);
    const [first] = await h.forbear.stores.arrangements.listByAccount('cn-m1-wang');
    expect(first).toBeDefined();
    const line1 = first!.offer.installment!.schedule[0]!;
    await h.forbear.lifecycle.book.pay({ paymentId: 'ret-p1', accountId: 'cn-m1-wang', amountMinor: line1.amountMinor, currency: 'CNY', paidAt: '2026-11-22T01:00:00Z' });

    await h.open('ret-2');
    await h.say('ret-2', '你好');
    await h.say('ret-2', '4821');
    const told = texts(await h.say('ret-2', '1988-03-14')).join('\n');
    expect(told).toContain(first!.reference);
    expect(told).toContain('已还 ¥');
    expect(told).toContain('第 2 期');

    const change = texts(await h.say('ret-2', '我下个月还不上分期了怎么办')).join('\n');
    expect(change).toMatch(/原因/);
    await h.say('ret-2', '收入减少了');
    await h.say('ret-2', '每月七千五');
    await h.say('ret-2', '房租和生活费三千');
    const offer = await h.say('ret-2', '对');
    expect(events(offer, 'offer')).toHaveLength(1);
    await h.say('ret-2', '接受');
    const done = await h.say('ret-2', '同意');
    expect(events(done, 'agreement')).toHaveLength(1);

    const all = await h.forbear.stores.arrangements.listByAccount('cn-m1-wang');
    expect(all).toHaveLength(2);
    const second = all.find((a) => a.conversationId === 'ret-2')!;
    const [old, fresh] = await Promise.all([first!.reference, second.reference].map((r) => h.forbear.lifecycle.book.get(r)));
    expect([old!.ledger.status, fresh!.ledger.status]).toEqual(['superseded', 'active']);
    expect(old!.ledger.events.at(-1)).toMatchObject({ type: 'superseded', by: second.reference });
    expect((await h.forbear.lifecycle.book.activeFor('cn-m1-wang'))!.ledger.reference).toBe(second.reference);
  });

  it('"我已经还了" is checked against the ledger', async () => {
    const h = await harness();
    await agree(h, 'ret-3', ['我失业了', '4821', '1988-03-14', '每月八千', '房租和生活费三千', '对', '接受', '同意']);
    await h.open('ret-4');
    await h.say('ret-4', '你好');
    await h.say('ret-4', '4821');
    await h.say('ret-4', '1988-03-14');
    expect(texts(await h.say('ret-4', '我已经还了')).join('\n')).toMatch(/暂未查到您第 1 期/);

    const [a] = await h.forbear.stores.arrangements.listByAccount('cn-m1-wang');
    await h.forbear.lifecycle.book.pay({ paymentId: 'ret-p2', accountId: 'cn-m1-wang', amountMinor: 50_000, currency: 'CNY', paidAt: '2026-11-21T01:00:00Z' });
    await h.open('ret-5');
    await h.say('ret-5', '你好');
    await h.say('ret-5', '4821');
    await h.say('ret-5', '1988-03-14');
    const confirmed = texts(await h.say('ret-5', '我已经还了')).join('\n');
    expect(confirmed).toContain('已收到您的还款');
    expect(confirmed).toContain(a!.reference);
  });
});
