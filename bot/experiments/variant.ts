/**
 * Champion/challenger: which policy applies to an account. An account's place in [0, 10 000) comes
 * from a seeded hash of its id, so a cardholder meets the same variant in every conversation and on
 * every instance, and a share of 10% is exactly the accounts whose place is below 1 000. Pure: no
 * clock, no randomness, no I/O.
 */
import { createHash } from 'node:crypto';
import { bucketIdOf, policyRef, type Policy } from '../../policy/index.js';
import { Variant } from '../../conversation/variant.js';

export interface Challenger {
  policy: Policy;
  /** The champion policy id whose accounts it may take. */
  champion: string;
  /** Share per champion bucket, basis points. */
  sharesBps: Record<string, number>;
}

export interface Experiment {
  seed: string;
  challengers: Challenger[];
}

export const NO_EXPERIMENT: Experiment = { seed: '', challengers: [] };

export const challengerRef = policyRef;

const SLOTS = 10_000;

/** The account's place in [0, 10 000): uniform, and the same for the same seed and id for ever. */
export function slotOf(seed: string, accountId: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${accountId}`).digest();
  return Math.floor((digest.readUInt32BE(0) / 2 ** 32) * SLOTS);
}

/**
 * The variant for an account on `champion` with this many days past due. Challengers of one
 * champion take consecutive ranges of places in the order configured, so two challengers of one
 * bucket never share an account (the loader rejects shares adding up to more than 100%).
 */
export function assignVariant(experiment: Experiment, champion: Policy, accountId: string, daysPastDue: number): Variant {
  const bucket = bucketIdOf(champion, daysPastDue);
  const slot = slotOf(experiment.seed, accountId);
  let from = 0;
  let running: number | null = null;
  for (const c of experiment.challengers) {
    if (c.champion !== champion.id) continue;
    const share = c.sharesBps[bucket] ?? 0;
    running = (running ?? 0) + share;
    if (slot >= from && slot < from + share) {
      return { arm: 'challenger', policyRef: challengerRef(c.policy), policyId: c.policy.id, policyVersion: c.policy.version, championId: champion.id, bucket, shareBps: share };
    }
    from += share;
  }
  return { arm: 'champion', policyRef: champion.id, policyId: champion.id, policyVersion: champion.version, championId: champion.id, bucket, shareBps: running };
}
