/**
 * The one train/test split of every labelled source. A line goes to the held-out (test) part when
 * a seeded hash of its normalised text falls below the source's test share: deterministic, stable
 * when lines are added, and the same text always lands on the same side (no leak through
 * duplicates). Nothing in the test part is trained on or tuned against.
 */
import { createHash } from 'node:crypto';

export const SPLIT_SEED = 'forbear-split-v1';

/** Share of each source held out; the shared sets are halved so their test parts are not tiny. */
export const TEST_SHARE = { forbear: 0.25, nlupp: 0.5, zhCollection: 0.5 } as const;
export type SplitSource = keyof typeof TEST_SHARE;

export function isHeldOut(source: SplitSource, text: string): boolean {
  const digest = createHash('sha256').update(`${SPLIT_SEED}\0${text.trim().toLowerCase()}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < TEST_SHARE[source];
}
