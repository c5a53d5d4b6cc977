/**
 * The four ways a KL is reported, in report order (model/src/kl-estimators.ts computes them): the sampled k1, k2 and
 * k3 and the exact per-token sum. Each fills one column of a table, named here once for writers and readers.
 */
export const KL_ESTIMATORS = ['k1', 'k2', 'k3', 'exact'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/** The column each estimator fills (k1 keeps the name `kl` it has always had); intervals add `_low` and `_high`. */
export const KL_COLUMNS: Readonly<Record<KlEstimator, 'kl' | 'kl_k2' | 'kl_k3' | 'kl_exact'>> = { k1: 'kl', k2: 'kl_k2', k3: 'kl_k3', exact: 'kl_exact' };
