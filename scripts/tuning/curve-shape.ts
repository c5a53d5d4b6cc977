import { distanceFromKl, fitRl } from '@goodhart/fit';

/** One evaluation of a tuning run: the policy's KL from the initial policy and its mean gold (raw, not yet centred). */
export interface ShapePoint {
  kl: number;
  gold: number;
}

/**
 * How well-behaved a development run's curve is, the two things a candidate is judged on besides its gain:
 *   - `rlFit`: the paper's RL form d(α − β ln d) fitted to gold (centred at iteration 0) against d = √KL.
 *   - `largestKlFall`: the largest fall of KL between consecutive evaluations, as a share of the largest KL reached
 *     before it, once that KL is at least MIN_KL_FOR_FALLS. The paper's KL "rises monotonically"; a policy that
 *     jumps between modes shows falls here. Below a nat, falls are the estimate's sampling noise (0.4 → 0.3).
 */
export interface CurveShape {
  rlFit: { alpha: number; beta: number; r2: number; points: number } | null;
  largestKlFall: number;
}

export const MIN_KL_FOR_FALLS = 1;

export function curveShape(points: readonly ShapePoint[]): CurveShape {
  if (points.length === 0) throw new RangeError('curveShape: needs at least one evaluation');
  const base = points[0]!.gold;
  const d = points.map((p) => distanceFromKl(p.kl));
  const gain = points.map((p) => p.gold - base);
  const positive = d.filter((v) => v > 0).length;
  const rlFit = positive >= 2 ? fitRl(d, gain) : null;
  let highest = 0;
  let largestKlFall = 0;
  for (let i = 1; i < points.length; i++) {
    highest = Math.max(highest, points[i - 1]!.kl);
    if (highest >= MIN_KL_FOR_FALLS) largestKlFall = Math.max(largestKlFall, (highest - points[i]!.kl) / highest);
  }
  return { rlFit, largestKlFall };
}
