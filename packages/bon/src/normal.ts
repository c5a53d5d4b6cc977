import { assertSampleCount } from '@goodhart/core';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function standardNormalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Φ(x) by Marsaglia's series Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …): all terms share x's sign, so the sum has
 * no cancellation and Φ is accurate to ~1e-16 absolute, which is what the integral below needs.
 */
export function standardNormalCdf(x: number): number {
  if (x < -38) return 0;
  if (x > 38) return 1;
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
    term *= x2 / k;
    sum += term;
  }
  return Math.min(1, Math.max(0, 0.5 + standardNormalPdf(x) * sum));
}

const GRID_LOW = -12;
const GRID_HIGH = 12;
const GRID_STEP = 0.002;

/**
 * E[max of n independent standard normals] = n·∫ x φ(x) Φ(x)^{n−1} dx. The integrand is smooth and decays fast at
 * both ends of [−12, 12], where the trapezoid rule converges much faster than its nominal h² (well below 1e-9 here).
 * This is the regressional-Goodhart prediction: with proxy = gold + Gaussian noise, BoN gold = ρ·σ_gold·E[max].
 */
export function expectedMaxOfStandardNormals(n: number): number {
  assertSampleCount('n', n);
  if (n === 1) return 0;
  const steps = Math.round((GRID_HIGH - GRID_LOW) / GRID_STEP);
  let sum = 0;
  for (let s = 0; s <= steps; s++) {
    const x = GRID_LOW + s * GRID_STEP;
    const cdf = standardNormalCdf(x);
    if (cdf === 0) continue;
    // Φ^{n−1} through the log so large n neither underflows early nor loses the upper tail.
    const power = Math.exp((n - 1) * Math.log(cdf));
    const endpointFactor = s === 0 || s === steps ? 0.5 : 1;
    sum += endpointFactor * x * standardNormalPdf(x) * power;
  }
  return n * sum * GRID_STEP;
}
