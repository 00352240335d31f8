/**
 * Which understanding a process runs. The rules are the embedded default; other engines (the LLM,
 * issue 4) register here so the CLI, the bot and the measurement all choose the same way.
 */
import { z } from 'zod';
import { llmUnderstandingFromEnv } from './llm/llm.js';
import { RuleUnderstanding } from './rules.js';
import type { Understanding } from '../../conversation/understanding.js';

export const EngineName = z.enum(['rules', 'llm']);
export type EngineName = z.infer<typeof EngineName>;

export function createUnderstanding(engine: EngineName = 'rules', env: NodeJS.ProcessEnv = process.env): Understanding {
  switch (engine) {
    case 'rules':
      return new RuleUnderstanding();
    case 'llm': {
      const llm = llmUnderstandingFromEnv(new RuleUnderstanding(), env);
      if (llm === null) throw new Error('the llm engine needs OPENAI_BASE_URL or OPENAI_API_KEY (see .env.example)');
      return llm;
    }
  }
}
