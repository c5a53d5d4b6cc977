/**
 * The defaults of the PPO sweep's lists, written once. The schema (config-schema.ts) applies them when it parses a
 * pipeline file, so a parsed config always carries both lists; the planner (plan.ts), which reads the raw JSON before
 * any validation, and the schema's own cross-field checks, which see the file before its defaults are filled in, apply
 * the same function. Free of dependencies, because the Nx plugin loads the planner.
 */

/** ppo.klCoefficients when absent: the paper's unpenalised runs. */
export const DEFAULT_KL_COEFFICIENTS: readonly number[] = [0];

/** The PPO sweep's lists as a pipeline file may give them: either may be absent. */
export interface SweepLists<K, P> {
  klCoefficients?: readonly K[] | undefined;
  policies?: readonly P[] | undefined;
}

/** Both lists, an absent one replaced by its default: β_KL 0, and every policy size (policy.sizes). */
export function withSweepDefaults<K, P>(
  lists: SweepLists<K, P>,
  policySizes: readonly P[],
): { klCoefficients: readonly (K | number)[]; policies: readonly P[] } {
  return { klCoefficients: lists.klCoefficients ?? DEFAULT_KL_COEFFICIENTS, policies: lists.policies ?? policySizes };
}
