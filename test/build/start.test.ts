/**
 * `npm start` runs the compiled JavaScript: a clean build (scripts/build.mjs, what `npm install`
 * runs through `prepare`) must find its catalogs, policies, prompts, YAML and static pages from
 * the output tree and carry a real conversation — not only print "running".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

  it('loads none of the packages a default start does not use', async () => {
    // A probe loaded before the server lists every module it loaded when it exits: ES modules
    // through a loader hook (it runs on its own thread, so it appends to a file), CommonJS ones
    // from the require cache.
    const dir = resolve(OUT, 'probe');
    const hooks = pathToFileURL(join(dir, 'hooks.mjs')).href;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(join(dir, 'esm.log'))}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(join(dir, 'probe.mjs'), `import { register, createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
register(${JSON.stringify(hooks)});
const require = createRequire(import.meta.url);
process.on('exit', () => writeFileSync(${JSON.stringify(join(dir, 'cjs.log'))}, Object.keys(require.cache).join('\\n')));\n`);
    const probed = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'probe.mjs')).href, join(OUT, 'bot', 'index.js')], {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', REDIS_URL: '', OPENAI_API_KEY: '', RETENTION_INTERVAL_MIN: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => probed.once('exit', done));
    await new Promise<void>((running, failed) => {
      let out = '';
      probed.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Forbear is running')) running();
      });
      probed.once('exit', (code) => failed(new Error(`probed server exited with ${String(code)}: ${out}`)));
    });
    probed.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'cjs.log'))).toBe(true);
    const loaded = [...readFileSync(join(dir, 'cjs.log'), 'utf8').split('\n'), ...readFileSync(join(dir, 'esm.log'), 'utf8').split('\n').map((u) => (u.startsWith('file:') ? decodeURIComponent(new URL(u).pathname) : u))];
    const packages = new Set(loaded.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p) => p !== undefined));
    // The probe sees packages: the ones every start needs are there.
    for (const used of ['botbuilder-core', 'botbuilder-dialogs', 'restify', 'zod', '@nlpjs/nlp']) expect(packages, used).toContain(used);
    // Redis, BullMQ and the LLM client only when configured; botbuilder's index (the Azure channel's
    // adapter) when that channel is configured or first used; the dialogs package's index with its
    // text recognizers never (dialogs/library.ts).
    for (const unused of ['ioredis', 'bullmq', 'openai', 'botbuilder', '@microsoft/recognizers-text-suite']) expect(packages, unused).not.toContain(unused);
    expect(loaded.filter((f) => f.endsWith('/node_modules/botbuilder-dialogs/lib/index.js'))).toEqual([]);
  }, 120_000);

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
