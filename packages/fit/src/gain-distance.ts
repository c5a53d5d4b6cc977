import { peakOf, predictCurve } from './curve-fits.ts';
import type { Method } from './types.ts';

/**
 * Reading a fitted curve R(d) sideways, for finding 7: the largest gain it reaches within the measured range, and
 * the smallest d at which it first reaches a given gain. Both stay inside [0, dMax] (the curve's largest measured
 * d): a fitted form says nothing reliable beyond its data, and RL's d(α − β ln d) can climb without end there.
 */

/** Grid points for locating the first crossing before bisecting; the forms are smooth, so this is plenty. */
const GRID = 1024;

/** max over d in [0, dMax] of the fitted gain R(d) (R(0) = 0, so never below 0). */
export function maxFittedGain(method: Method, alpha: number, beta: number, dMax: number): number {
  let best = 0;
  for (let i = 1; i <= GRID; i++) best = Math.max(best, predictCurve(method, alpha, beta, (dMax * i) / GRID));
  const peak = peakOf(method, alpha, beta);
  if (peak && peak.d > 0 && peak.d <= dMax) best = Math.max(best, peak.gold);
  return best;
}

/** The smallest d in (0, dMax] with R(d) ≥ gain (gain > 0), to ~1e-12 relative; undefined if R never gets there. */
export function distanceToGain(method: Method, alpha: number, beta: number, gain: number, dMax: number): number | undefined {
  if (!(gain > 0) || !(dMax > 0)) return undefined;
  let previous = 0;
  for (let i = 1; i <= GRID; i++) {
    const d = (dMax * i) / GRID;
    if (predictCurve(method, alpha, beta, d) >= gain) return bisect(method, alpha, beta, gain, previous, d);
    previous = d;
  }
  // Between grid points a concave peak can poke above the gain; the exact peak catches that case.
  const peak = peakOf(method, alpha, beta);
  if (peak && peak.d > 0 && peak.d <= dMax && peak.gold >= gain) {
    const below = Math.floor((peak.d / dMax) * GRID) * (dMax / GRID);
    return bisect(method, alpha, beta, gain, below, peak.d);
  }
  return undefined;
}

/** R(low) < gain ≤ R(high): the crossing in between. */
function bisect(method: Method, alpha: number, beta: number, gain: number, low: number, high: number): number {
  for (let i = 0; i < 100 && high - low > 1e-12 * high; i++) {
    const middle = (low + high) / 2;
    if (predictCurve(method, alpha, beta, middle) >= gain) high = middle;
    else low = middle;
  }
  return high;
}
