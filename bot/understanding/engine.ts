/**
 * Which understanding a process runs. The rules are the embedded default; other engines (the LLM,
 * issue 4) register here so the CLI, the bot and the measurement all choose the same way.
 */
import { z } from 'zod';
import { RuleUnderstanding } from './rules.js';
import type { Understanding } from './schema.js';

export const EngineName = z.enum(['rules']);
export type EngineName = z.infer<typeof EngineName>;

export function createUnderstanding(engine: EngineName = 'rules'): Understanding {
  switch (engine) {
    case 'rules':
      return new RuleUnderstanding();
  }
}
