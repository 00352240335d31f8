/**
 * What the model must return: the understanding result minus the fields the code fills itself
 * (which engine answered, which prompt asked). Derived from the shared schema so the two can never
 * drift apart.
 */
import type { z } from 'zod';
import { UnderstandingResult } from '../../../conversation/understanding.js';

export const UnderstandingOutput = UnderstandingResult.omit({ engine: true, promptVersion: true });
export type UnderstandingOutput = z.infer<typeof UnderstandingOutput>;
