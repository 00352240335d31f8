import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { loadLlmSettings } from '../../bot/understanding/llm/config.js';
import { llmUnderstandingFromEnv } from '../../bot/understanding/llm/llm.js';
import type { Understanding } from '../../conversation/understanding.js';

describe('LLM settings from the environment', () => {
  it('stays off without a key or a base URL', () => {
    expect(loadLlmSettings({})).toBeNull();
    expect(loadLlmSettings({ OPENAI_API_KEY: '  ', OPENAI_MODEL: 'gpt-4o' })).toBeNull();
  });

  it('turns on with a key alone, with defaults that fit a 5 s channel', () => {
    expect(loadLlmSettings({ OPENAI_API_KEY: 'sk-test' })).toEqual({
      apiKey: 'sk-test',
      baseURL: undefined,
      model: 'gpt-4o-mini',
      timeoutMs: 4000,
      maxRetries: 1,
      maxTokens: 400,
      breakerFailures: 5,
      breakerHalfOpenMs: 30_000,
      fastPathConfidence: 0.9,
    });
  });

  it('turns on with a base URL alone (a local server needs no key)', () => {
    const s = loadLlmSettings({ OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'qwen2.5:7b', OPENAI_TIMEOUT_MS: '2500' });
    expect(s).toMatchObject({ apiKey: undefined, baseURL: 'http://localhost:11434/v1', model: 'qwen2.5:7b', timeoutMs: 2500 });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadLlmSettings({ OPENAI_API_KEY: 'k', OPENAI_TIMEOUT_MS: 'soon' })).toThrow(/OPENAI_TIMEOUT_MS/);
    expect(() => loadLlmSettings({ OPENAI_BASE_URL: 'not a url' })).toThrow(/OPENAI_BASE_URL/);
    expect(() => loadLlmSettings({ OPENAI_API_KEY: 'k', LLM_FAST_PATH_CONFIDENCE: '3' })).toThrow(/LLM_FAST_PATH_CONFIDENCE/);
  });
});

describe('llmUnderstandingFromEnv', () => {
  const rules: Understanding = { name: 'rules', understand: async () => { throw new Error('not called'); } };
  it('returns the LLM engine only when an endpoint is configured', () => {
    expect(llmUnderstandingFromEnv(rules, {})).toBeNull();
    const llm = llmUnderstandingFromEnv(rules, { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, { registry: new Registry() });
    expect(llm?.name).toBe('llm');
  });
});
