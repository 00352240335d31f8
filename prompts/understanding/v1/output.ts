/**
 * What the model must return: the understanding result minus the fields the code fills itself
 * (which engine answered, which prompt asked, a date's second reading). Derived from the shared schema so the two can never
 * drift apart.
 */
import type { z } from 'zod';
import { Entities, UnderstandingResult } from '../../../conversation/understanding.js';

/** A date's second reading is the rules' (the guard copies it when the model read the same date). */
export const UnderstandingOutput = UnderstandingResult.omit({ engine: true, promptVersion: true, checkIn: true }).extend({
  entities: Entities.omit({ dateAlternative: true }),
});
export type UnderstandingOutput = z.infer<typeof UnderstandingOutput>;
