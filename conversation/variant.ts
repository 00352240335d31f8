/**
 * Champion/challenger as the conversation sees it: the variant an account drew, recorded with every
 * decision that depends on it. How accounts are assigned is the shell's (`bot/experiments/`).
 */
import { z } from 'zod';
import { policyRef } from '../policy/index.js';

export const Arm = z.enum(['champion', 'challenger']);
export type Arm = z.infer<typeof Arm>;

/** The variant an account was assigned, recorded with every decision that depends on it. */
export const Variant = z.object({
  arm: Arm,
  /** What the policy book is asked for: the champion's id, or `id@version` for a challenger. */
  policyRef: z.string().min(1),
  policyId: z.string().min(1),
  policyVersion: z.string().min(1),
  /** The champion policy id: a challenger is compared with the accounts this policy kept. */
  championId: z.string().min(1),
  /** The champion policy's bucket for the account: the unit shares are set in. */
  bucket: z.string().min(1),
  /** The challenger share of that bucket in basis points: this challenger's, or for the champion all challengers' together (null: none configured for this policy). */
  shareBps: z.number().int().min(0).max(10_000).nullable(),
});
export type Variant = z.infer<typeof Variant>;

/** "challenger default-cn@2026.3": how reports and the dashboard name a variant. */
export const variantLabel = (v: Pick<Variant, 'arm' | 'policyId' | 'policyVersion'>): string => `${v.arm} ${policyRef({ id: v.policyId, version: v.policyVersion })}`;

/** The variant a decision was made under, as recorded with it (null before the account is known). */
export function variantStamp(record: { variant?: Variant | undefined } | null): string | null {
  return record?.variant ? variantLabel(record.variant) : null;
}
