/**
 * `npm start` runs the compiled JavaScript: a clean build (scripts/build.mjs, what `npm install`
 * runs through `prepare`) must find its catalogs, policies, prompts, YAML and static pages from
 * the output tree and carry a real conversation — not only print "running".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compiledYaml } from '../../policy/compiledYaml.js';

const OUT = join('test-output', `build-${process.pid}`);
let server: ChildProcess;
let base = '';

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs', OUT], { stdio: 'pipe' });
  server = spawn(process.execPath, [join(OUT, 'bot', 'index.js')], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', REDIS_URL: '', RETENTION_INTERVAL_MIN: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /Forbear is running: open (http:\/\/\S+?)\/? to chat/.exec(out)?.[1];
      if (url) resolve(url);
    });
    server.once('exit', (code) => reject(new Error(`compiled server exited with ${String(code)}: ${out}`)));
  });
}, 300_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(OUT, { recursive: true, force: true });
});

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('compiled production start', () => {
  it('serves the chat page, the consoles and their static files', async () => {
    for (const path of ['/', '/agent', '/compliance']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<html');
    }
  });

  it('has the YAML read at every start as the JSON start-up reads instead (policy/compiledYaml.ts)', () => {
    for (const file of ['policy/policies/default-cn.yaml', 'policy/policies/default-us.yaml', 'bot/understanding/lexicon.yaml', 'bot/transcripts/forbidden-phrases.yaml']) {
      const text = readFileSync(join(OUT, file), 'utf8');
      expect(compiledYaml(join(OUT, file), text), file).toEqual(parse(text));
    }
  });

  it('carries a conversation in the catalog language, through the policy files and the transcript', async () => {
    const { json: issued } = await post('/v3/directline/tokens/generate', {});
    const token = issued['token'] as string;
    const { json: started } = await post('/v3/directline/conversations', { locale: 'zh-CN' }, token);
    const id = started['conversationId'] as string;
    for (const text of ['我这个月还不上了', '4821', '1988-03-14']) {
      const sent = await post(`/v3/directline/conversations/${id}/activities`, { type: 'message', from: { id: 'u' }, text, locale: 'zh-CN', channelData: { accountRef: 'cn-m1-wang' } }, token);
      expect(sent.status).toBe(200);
    }
    const res = await fetch(`${base}/v3/directline/conversations/${id}/activities`, { headers: { authorization: `Bearer ${token}` } });
    const { activities } = (await res.json()) as { activities: { from: { role?: string }; text?: string }[] };
    const said = activities.filter((a) => a.from.role !== 'user' && a.text).map((a) => a.text!);
    // Verified with the demo account, and the bot moved on to the hardship questions (catalog text, not keys).
    expect(said.length).toBeGreaterThanOrEqual(3);
    expect(said.join('\n')).toMatch(/[\u4e00-\u9fff]/);
    expect(said.join('\n')).not.toMatch(/^[a-z_]+\.[a-z_.]+$/m);
  });
});
