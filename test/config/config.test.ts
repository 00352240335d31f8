import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../bot/config.js';
import { loadWeChatConfig } from '../../bot/channels/wechat/config.js';
import { redisSettingsFromEnv } from '../../bot/storage/redis.js';
import { loadLlmSettings } from '../../bot/understanding/llm/config.js';

describe('configuration', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3978, DEFAULT_POLICY: 'default-cn', VERIFICATION_MAX_ATTEMPTS: 3 });
    expect(config.REDIS_URL).toBeUndefined();
    expect(redisSettingsFromEnv({})).toBeNull();
    expect(loadLlmSettings({})).toBeNull();
    expect(loadWeChatConfig({})).toBeUndefined();
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
