/**
 * Which understanding a process runs. The trained classifier (with the rules for numbers, dates
 * and safety words) is the embedded default; `rules` alone remains for comparison, and the LLM
 * uses the classifier as its guard and fallback. The CLI, the bot and the measurement all choose
 * here.
 */
import { z } from 'zod';
import { ConfigError } from '../http/env.js';
import { ClassifierUnderstanding } from './hybrid.js';
import { llmUnderstandingFromEnv } from './llm/llm.js';
import { RuleUnderstanding } from './rules.js';
import type { Understanding } from '../../conversation/understanding.js';

export const EngineName = z.enum(['classifier', 'rules', 'llm']);
export type EngineName = z.infer<typeof EngineName>;

/** The command-line flags that choose an engine (`--engine NAME`, or `--llm` for `--engine llm`), shared by every CLI that runs one. */
export const ENGINE_FLAGS = { engine: { type: 'string' }, llm: { type: 'boolean' } } as const;

/** Folds `--llm` into `engine`, leaving the other parsed flags as they are, for the CLI's schema to validate. */
export function withEngineFlag({ llm, ...rest }: Record<string, unknown>): Record<string, unknown> {
  return { ...rest, engine: llm === true ? 'llm' : rest['engine'] };
}

export function createUnderstanding(engine: EngineName = 'classifier', env: NodeJS.ProcessEnv = process.env): Understanding {
  switch (engine) {
    case 'classifier':
      return new ClassifierUnderstanding();
    case 'rules':
      return new RuleUnderstanding();
    case 'llm': {
      const llm = llmUnderstandingFromEnv(new ClassifierUnderstanding(), env);
      if (llm === null) throw new ConfigError(['OPENAI_BASE_URL: the llm engine needs OPENAI_BASE_URL or OPENAI_API_KEY (see .env.example)']);
      return llm;
    }
  }
}
