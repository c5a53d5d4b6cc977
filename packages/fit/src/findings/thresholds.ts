/**
 * The numbers that turn measured curves into yes/no findings. They live in one place so a reader can see (and a
 * reviewer can argue with) every judgement the report makes.
 */

/** Finding 2: a functional form "fits" a curve when it explains at least this share of the variance of mean gold. */
export const MIN_FIT_R2 = 0.8;

/** Finding 4: mean RM validation loss at the smallest comparisons count at least this (chance is ln 2 ≈ 0.693 nats). */
export const NEAR_CHANCE_VALIDATION_LOSS = 0.67;

/** Finding 5: the two policy sizes peak "at about the same KL" when the ratio of their peak d lies in this range. */
export const PEAK_D_RATIO_RANGE: readonly [number, number] = [0.5, 2];

/** Finding 6: the penalised run "stays on the frontier" when at least this share of its points match the unpenalised gold. */
export const MIN_FRONTIER_MATCH_FRACTION = 0.7;

/**
 * Finding 6: points with d at or below this are left out of the frontier comparison: at step 0 both runs are the
 * initial policy, and counting that point would make every pair match a little more.
 */
export const FRONTIER_MIN_D = 1e-9;

/** Finding 7: the gold gain compared is this fraction of the smaller of the two curves' largest gains. */
export const KL_CURRENCY_GAIN_FRACTION = 0.5;

/** Finding 7: RL "spends more KL" when its KL to reach the same gain exceeds BoN's by this factor. */
export const MIN_RL_OVER_BON_KL_RATIO = 1;

/** Finding 8: the ρσ·E[max] prediction must lie inside the gold interval at at least this share of the points. */
export const MIN_PREDICTION_COVERAGE = 0.8;

/** Two-sided level for intervals the findings compute when the input's options give none. */
export const DEFAULT_CONFIDENCE = 0.95;
