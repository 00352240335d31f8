/**
 * The compliance console's API on the real server: search, annotated transcripts, chain
 * verification (and tampering detected), seeded QA samples with verdicts in their own chain,
 * exports, and role checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../bot/channels/local.js';
import type { TranscriptRecord } from '../../bot/transcripts/schema.js';
import type { Forbear } from '../../bot/app.js';
import type { RunningServer } from '../../bot/server.js';
import { startForbear } from '../support/server.js';
import { decodeCompact, encodeCompactText } from '../../bot/storage/compact.js';

let running: RunningServer;
let forbear: Forbear;
let base: string;

async function session(name: string, password: string) {
  const res = await fetch(`${base}/agent/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forbear-console': '1' }, body: JSON.stringify({ name, password }) });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const call = async (path: string, body?: unknown) => {
    const r = await fetch(`${base}/compliance/api/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { cookie, 'x-forbear-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, text, json: () => JSON.parse(text) as any };
  };
  return call;
}

beforeAll(async () => {
  ({ forbear, running, base } = await startForbear());
  const adapter = new LocalAdapter(forbear.bot);
  adapter.use(forbear.transcriptMiddleware);
  const talk = async (id: string, locale: string, lines: string[]) => {
    await adapter.join(id, { locale });
    for (const text of lines) await adapter.send(id, { text, locale });
  };
  await talk('agreed', 'zh-CN', ['4821', '1988-03-14', '失业了', '月收入八千', '开支三千', '对', '接受', '同意']);
  await talk('handed', 'en', ['9012', '1990-04-18', 'I want to talk to a person']);
  await talk('tampered', 'en', ['9012', '1990-04-18', 'I lost my job', 'I make 4000 a month', 'rent 1500', 'yes']);
});

afterAll(async () => {
  await running?.close();
});

describe('compliance console API', () => {
  it('searches by account, outcome and language', async () => {
    const call = await session('compliance', 'compliance-demo');
    const ids = async (q: string) => (await call(`conversations?${q}`)).json().conversations.map((c: any) => c.conversationId).sort();
    expect(await ids('accountId=cn-m1-wang')).toEqual(['agreed']);
    expect(await ids('outcome=handoff')).toEqual(['handed']);
    expect(await ids('language=en')).toEqual(['handed', 'tampered']);
    expect(await ids('from=2026-11-22&to=2026-11-22')).toEqual(['agreed', 'handed', 'tampered']);
    expect((await call('conversations?outcome=maybe')).status).toBe(400);
  });

  it('annotates an offer with the policy version and rules that allowed it, and verifies the chain', async () => {
    const call = await session('compliance', 'compliance-demo');
    const view = (await call('conversations/agreed')).json();
    expect(view.verification).toMatchObject({ ok: true });
    const offerMessage = view.records.find((r: TranscriptRecord) => r.kind === 'activity' && r.payload.text?.includes('分 11 期'));
    // In words, in the conversation's language: the rule, the terms, the authority — not raw JSON.
    const notes = view.annotations[offerMessage.seq];
    const shown = notes.find((d: any) => d.title === '展示方案');
    const field = (label: string) => shown.fields.find((f: any) => f.label === label)?.value;
    expect(field('政策')).toBe('default-cn@2026.2');
    expect(field('权限')).toBe('机器人');
    expect(field('条款')).toContain('分 11 期，每月还款 ¥2,291.66');
    expect(field('规则').split('\n').some((id: string) => id.startsWith('default-cn@2026.2:buckets.M1.bot.installment'))).toBe(true);
    expect(JSON.stringify(notes)).not.toContain('"payload"');
    const english = (await call('conversations/agreed?lang=en')).json().annotations[offerMessage.seq];
    expect(english.find((d: any) => d.title === 'Offer shown').fields.map((f: any) => f.label)).toEqual(['Policy', 'Authority', 'Terms', 'Rules']);
  });

  it('pages results, filters by agent, and leaves page loads out (a chat opened and never written in is not "abandoned")', async () => {
    const call = await session('compliance', 'compliance-demo');
    const adapter = new LocalAdapter(forbear.bot);
    adapter.use(forbear.transcriptMiddleware);
    await adapter.join('opened-only', { locale: 'zh-CN' });
    // Not even stored: a chat nobody wrote in creates no transcript (issue 13; its greeting waits aside with a TTL).
    expect(await forbear.transcripts.summary('opened-only')).toBeNull();
    const all = (await call('conversations')).json();
    expect(all.conversations.map((c: any) => c.conversationId)).not.toContain('opened-only');
    expect((await call('conversations?outcome=abandoned')).json().conversations.map((c: any) => c.conversationId)).toEqual(['tampered']);
    const first = (await call('conversations?pageSize=2&page=1')).json();
    const second = (await call('conversations?pageSize=2&page=2')).json();
    expect(first).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(first.conversations).toHaveLength(2);
    expect(second.conversations).toHaveLength(1);
    expect(new Set([...first.conversations, ...second.conversations].map((c: any) => c.conversationId))).toEqual(new Set(['agreed', 'handed', 'tampered']));
    expect((await call('conversations?pageSize=0')).status).toBe(400);
    expect((await call('conversations?agentId=nobody')).json().total).toBe(0);
  });

  it('reports tampering after a stored record is edited', async () => {
    const call = await session('compliance', 'compliance-demo');
    const logs = (forbear.transcripts as unknown as { logs: Map<string, { batches: string[] }> }).logs;
    const log = logs.get('tampered')!;
    // Record 5 edited inside the batch that holds it, through the published codec.
    const at = log.batches.findIndex((b) => (decodeCompact(b) as { seq: number }[]).some((r) => r.seq === 5));
    const batch = decodeCompact(log.batches[at]!) as { seq: number; payload: { text?: string } }[];
    batch.find((r) => r.seq === 5)!.payload.text = 'edited afterwards';
    log.batches[at] = encodeCompactText(batch);
    const view = (await call('conversations/tampered')).json();
    expect(view.verification).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it('draws the same QA sample for the same seed and keeps verdicts in their own chain', async () => {
    const call = await session('compliance', 'compliance-demo');
    const draw = async (seed: string) => (await call('sample', { n: 2, seed })).json().conversations.map((c: any) => c.conversationId);
    expect(await draw('week-47')).toEqual(await draw('week-47'));
    expect(await draw('week-47')).toHaveLength(2);
    expect((await call('conversations/agreed/review', { verdict: 'pass', comment: 'terms read back correctly' })).status).toBe(200);
    expect((await call('conversations/handed/review', { verdict: 'needs_followup' })).status).toBe(200);
    expect((await call('conversations/handed/review', { verdict: 'great' })).status).toBe(400);
    const reviews = (await call('reviews')).json();
    expect(reviews.verification).toMatchObject({ ok: true, records: 2 });
    expect(reviews.reviews[0]).toMatchObject({ conversationId: 'agreed', reviewer: 'compliance', verdict: 'pass', seq: 1 });
    const agreed = (await call('conversations/agreed')).json();
    expect(agreed.records.some((r: TranscriptRecord) => r.kind === 'decision' && JSON.stringify(r.payload).includes('terms read back'))).toBe(false);
  });

  it('exports a conversation as JSONL, CSV and a printable page, and a search as JSONL', async () => {
    const call = await session('compliance', 'compliance-demo');
    const jsonl = (await call('conversations/agreed/export?format=jsonl')).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual((await forbear.transcripts.read('agreed')).map((r) => JSON.parse(JSON.stringify(r))));
    expect((await call('conversations/agreed/export?format=csv')).text.split('\n')[0]).toMatch(/^conversationId,seq,at,kind,actor/);
    const printable = (await call('conversations/agreed/export?format=html')).text;
    expect(printable).toContain('<html lang="zh-CN"');
    // Local time (Asia/Shanghai, the conversation's policy timezone), readable decisions.
    expect(printable).toContain('时间（Asia/Shanghai）');
    expect(printable).toContain('2026/11/22 10:00:00');
    expect(printable).toContain('分 11 期，每月还款 ¥2,291.66');
    expect(printable).not.toContain('{&quot;');
    expect((await call('conversations/handed/export?format=html')).text).toContain('<html lang="en"');
    const unknown = await call('conversations/no-such-conversation/export?format=jsonl');
    expect(unknown.status).toBe(404);
    const pdf = await call('conversations/agreed/export?format=pdf');
    expect(pdf.status).toBe(400);
    expect(pdf.json().error).toMatchObject({ code: 'BadArgument' });
    expect(pdf.text).not.toMatch(/at .*\.ts:\d+/);
    expect((await call('export?format=xml')).status).toBe(400);
    const search = (await call('export?format=jsonl&language=en')).text.trim().split('\n').map((l) => JSON.parse(l).conversationId);
    expect(new Set(search)).toEqual(new Set(['handed', 'tampered']));
  });

  it('is for the compliance role only', async () => {
    expect((await fetch(`${base}/compliance/api/conversations`)).status).toBe(401);
    const agent = await session('agent', 'agent-demo');
    expect((await agent('conversations')).status).toBe(403);
    const supervisor = await session('supervisor', 'supervisor-demo');
    expect((await supervisor('conversations/agreed')).status).toBe(403);
    const page = await fetch(`${base}/compliance`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
