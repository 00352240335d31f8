import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../bot/config.js';
import { loadWeChatConfig } from '../../bot/channels/wechat/config.js';
import { loadLlmSettings } from '../../bot/understanding/llm/config.js';

describe('configuration', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3978, DEFAULT_POLICY: 'default-cn', VERIFICATION_MAX_ATTEMPTS: 3 });
    expect(config).toMatchObject({ redis: null, llm: null, wechat: undefined });
  });

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'not a url', VERIFICATION_MAX_ATTEMPTS: '0' });
      expect.unreachable('a bad environment must be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      for (const name of ['PORT', 'REDIS_URL', 'VERIFICATION_MAX_ATTEMPTS']) expect(message).toContain(name);
    }
  });

  it('requires the transcript key with Redis, and a long one', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/TRANSCRIPT_HMAC_KEY/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379' })).toThrow(/TRANSCRIPT_HMAC_KEY/);
    expect(() => loadConfig({ TRANSCRIPT_HMAC_KEY: 'too-short' })).toThrow(/TRANSCRIPT_HMAC_KEY/);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', TRANSCRIPT_HMAC_KEY: 'k'.repeat(32) }).TRANSCRIPT_HMAC_KEY).toBe('k'.repeat(32));
  });

  it('accepts .env.example as shipped', () => {
    const env = Object.fromEntries(
      Object.entries(parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'))).filter(([, v]) => v !== ''),
    );
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadLlmSettings(env)).toBeNull();
    expect(loadWeChatConfig(env)).toBeUndefined();
  });
});

/** A program from sources as its npm script runs it (`bot/index.ts` is what `npm run dev` runs; `npm start` is the same program compiled). */
function run(program: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', program, ...args], {
      env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('one loader for every section', () => {
  const wechat = { WECHAT_TOKEN: 'forbeartoken', WECHAT_APPID: 'wx0123456789abcdef', WECHAT_APPSECRET: 'secret' };
  const cases: Array<[string, Record<string, string>, string]> = [
    ['a malformed WeChat AppID', { ...wechat, WECHAT_APPID: 'bad' }, 'WECHAT_APPID'],
    ['WECHAT_TOKEN without WECHAT_APPID', { WECHAT_TOKEN: 'forbeartoken', WECHAT_APPSECRET: 'secret' }, 'WECHAT_APPID'],
    ['an LLM timeout below the floor', { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_TIMEOUT_MS: '5' }, 'OPENAI_TIMEOUT_MS'],
    ['a COOKIE_SECURE that is not a flag', { COOKIE_SECURE: 'yes' }, 'COOKIE_SECURE'],
    ['a negative Redis state TTL', { REDIS_URL: 'redis://127.0.0.1:6379', TRANSCRIPT_HMAC_KEY: 'k'.repeat(32), REDIS_STATE_TTL_SEC: '-4' }, 'REDIS_STATE_TTL_SEC'],
    ['a REDIS_URL that is not a redis:// URL', { REDIS_URL: 'http://127.0.0.1:6379', TRANSCRIPT_HMAC_KEY: 'k'.repeat(32) }, 'REDIS_URL'],
    ['a PORT that is not a port', { PORT: '70000' }, 'PORT'],
    ['a TRUST_PROXY that is not an address', { TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
  ];

  it.each(cases)('refuses %s with a ConfigError naming the variable', (_what, env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`\\b${variable}:`));
  });

  it('reports the problems of every section at once', () => {
    expect(() => loadConfig({ ...wechat, WECHAT_APPID: 'bad', OPENAI_API_KEY: 'k', OPENAI_TIMEOUT_MS: '5', REDIS_STATE_TTL_SEC: 'x', PORT: '-1' })).toThrow(
      /PORT:[\s\S]*REDIS_STATE_TTL_SEC:[\s\S]*OPENAI_TIMEOUT_MS:[\s\S]*WECHAT_APPID:/,
    );
  });

  it('stops the server at start-up with exit 2 and the variable named, never a stack trace', async () => {
    // Console users are read as the server starts (bot/auth/users.ts), each entry named.
    const atStart: typeof cases = [...cases, ['a CONSOLE_USERS entry without role and hash', { CONSOLE_USERS: 'garbage' }, 'CONSOLE_USERS entry 1']];
    const runs = await Promise.all(atStart.map(([, env]) => run('bot/index.ts', [], env)));
    runs.forEach((run, i) => {
      const variable = atStart[i]![2];
      expect({ code: run.code, named: run.stderr.includes(`forbear: invalid configuration:`) && run.stderr.includes(`${variable}:`) }, run.stderr).toEqual({ code: 2, named: true });
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  }, 180_000);
});

describe('the command-line tools read the same configuration', () => {
  const redis = { REDIS_URL: 'redis://127.0.0.1:6379', TRANSCRIPT_HMAC_KEY: 'k'.repeat(32) };
  const tools: Array<[string, string, string[], Record<string, string>, string]> = [
    ['chat', 'bot/chat.ts', [], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_TIMEOUT_MS: '5' }, 'OPENAI_TIMEOUT_MS'],
    ['transcripts', 'bot/transcripts/cli.ts', ['verify', 'c-1'], { REDIS_URL: 'not a url' }, 'REDIS_URL'],
    ['report', 'bot/operations/cli.ts', [], { ...redis, REDIS_STATE_TTL_SEC: '-4' }, 'REDIS_STATE_TTL_SEC'],
  ];

  it('exits 2 naming the bad variable, never a stack trace', async () => {
    const runs = await Promise.all(tools.map(([, program, args, env]) => run(program, args, env)));
    runs.forEach((ran, i) => {
      const [tool, , , , variable] = tools[i]!;
      expect({ code: ran.code, named: ran.stderr.includes(`${tool}: invalid configuration:`) && ran.stderr.includes(`${variable}:`) }, ran.stderr).toEqual({ code: 2, named: true });
      expect(ran.stderr).not.toMatch(/\n\s+at /);
    });
  }, 180_000);
});
