import { PassThrough } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, exportCsv, exportJsonl, renderTranscriptHtml } from '../../bot/transcripts/export.js';
import { TranscriptRecord } from '../../bot/transcripts/schema.js';
import { MemoryTranscriptStore } from '../../bot/transcripts/store.js';
import { complete, conversationEntries } from './fixtures.js';

async function seeded() {
  const store = new MemoryTranscriptStore();
  for (const e of conversationEntries('2024-05-01T02:00:00.000Z')) await store.append('may1', e);
  // Commas, quotes, newlines and CJK in one message: the CSV must carry them intact.
  await store.append('may1', complete({ kind: 'activity', actor: 'agent', at: '2024-05-01T03:00:00Z', payload: { type: 'message', text: '您好, "张先生"\n第二行 <b>&</b>' } }));
  for (const e of conversationEntries('2024-05-03T02:00:00.000Z').slice(0, 3)) await store.append('may3', e);
  return store;
}

const collect = async (run: (out: PassThrough) => Promise<unknown>) => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await run(out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
};

describe('export', () => {
  it('JSONL parses back to exactly the stored records, which still verify', async () => {
    const store = await seeded();
    const text = await collect((out) => exportJsonl(store, { from: '2024-05-01', to: '2024-05-31' }, out));
    const lines = text.trimEnd().split('\n').map((l) => TranscriptRecord.parse(JSON.parse(l)));
    const expected = [...(await store.read('may1')), ...(await store.read('may3'))];
    expect(lines).toEqual(expected);
    expect(store.sealing.chain.verify(lines.filter((r) => r.conversationId === 'may1'), { head: await store.head('may1'), conversationId: 'may1' })).toEqual({ ok: true, records: 10 });
  });

  it('selects by date range or by ids', async () => {
    const store = await seeded();
    const only1 = await collect((out) => exportJsonl(store, { from: '2024-05-01', to: '2024-05-01' }, out));
    expect(new Set(only1.trimEnd().split('\n').map((l) => (JSON.parse(l) as { conversationId: string }).conversationId))).toEqual(new Set(['may1']));
    const byId = await collect((out) => exportJsonl(store, ['may3'], out));
    expect(byId.trimEnd().split('\n')).toHaveLength(3);
  });

  it('CSV parses back with a CSV parser into one row per record, payload intact', async () => {
    const store = await seeded();
    const text = await collect((out) => exportCsv(store, ['may1', 'may3'], out));
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    const records = [...(await store.read('may1')), ...(await store.read('may3'))];
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(records.length);
    rows.forEach((row, i) => {
      const r = records[i]!;
      expect(TranscriptRecord.parse({ conversationId: row.conversationId, seq: Number(row.seq), at: row.at, kind: row.kind, actor: row.actor, payload: JSON.parse(row.payload!), prevHash: row.prevHash, hash: row.hash })).toEqual(r);
    });
    expect(rows[9]!.text).toBe('您好, "张先生"\n第二行 <b>&</b>');
  });

  it('renders a printable, escaped HTML page labelled from the catalog', async () => {
    const store = await seeded();
    const records = await store.read('may1');
    const html = renderTranscriptHtml('may1', records, { lang: 'zh-CN', verification: { ok: true, records: records.length }, exportedAt: new Date('2024-06-01T00:00:00Z') });
    expect(html).toContain('会话记录');
    expect(html).toContain('哈希链校验通过：共 10 条记录');
    expect(html).toContain('展示方案');
    expect(html).toContain('依据决策 #5, #6');
    expect(html).toContain('&lt;b&gt;&amp;&lt;/b&gt;');
    expect(html).not.toContain('<b>&</b>');
    const bad = renderTranscriptHtml('may1', records, { lang: 'en', verification: { ok: false, firstBadSeq: 4, problem: 'edited' }, exportedAt: new Date() });
    expect(bad).toContain('Hash chain FAILED at record 4: edited.');
  });
});
