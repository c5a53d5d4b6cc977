import { describe, expect, it } from 'vitest';
import { bootstrapMean, Rng } from '@goodhart/core';
import { analyseOveroptimisation, type CurvePoints } from '../src/findings/curve-shape.ts';
import { argmax } from '../src/findings/stats.ts';

/**
 * Calibration of finding 1's rise-then-fall test on synthetic curves whose truth is known. Under the null — true
 * gold never falls — a test at 95% should call a significant fall about 2.5% of the time (one side of the
 * interval). The old procedure (argmax of mean gold on all prompts, drop bootstrapped on the same prompts with the
 * peak held fixed) is kept here, and only here, to show that this test can fail: it flatters. So is the other
 * remedy the issue allowed, bootstrapping the whole procedure with the argmax re-chosen in every resample: the
 * bootstrap of a maximum is biased upward exactly as the maximum is, and it flatters even more.
 * Measured (seeded, so these are the numbers every run): old 15.3%, whole-procedure bootstrap 37.8%, split-half
 * 2.15% of 4,000 plateau curves; the split-half test finds a real fall of 0.6 in 82.5% of 200 curves.
 */

const POINTS = 13;
const PROMPTS = 32;
const RESAMPLES = 400;
const CONFIDENCE = 0.95;

/** A BoN-like curve rising over the first points and flat (a plateau) over the last 7: monotone, never falling. */
function plateau(j: number): number {
  return Math.min(j, 5) * 0.1;
}

/** Rises to a peak at point 7, then falls by `fall` by the last point: a real overoptimisation. */
function risesThenFalls(fall: number): (j: number) => number {
  return (j) => (j <= 7 ? j * 0.1 : 0.7 - (fall * (j - 7)) / (POINTS - 1 - 7));
}

interface Curve {
  points: CurvePoints[];
  perPromptGold: Float64Array[];
}

/** Per-prompt gold = truth + a prompt effect shared by all points + independent noise; proxy rises steadily. */
function synthetic(truth: (j: number) => number, rng: Rng, noise = 0.5): Curve {
  const effects = Float64Array.from({ length: PROMPTS }, () => 0.3 * rng.normal());
  const perPromptGold = Array.from({ length: POINTS }, (_, j) => Float64Array.from(effects, (e) => truth(j) + e + noise * rng.normal()));
  const points = perPromptGold.map((_, j) => {
    const interval = { mean: truth(j), low: truth(j), high: truth(j) };
    return { d: Math.sqrt(j), gold: interval, proxy: { mean: j, low: j, high: j } };
  });
  return { points, perPromptGold };
}

/** The pre-split procedure: the peak chosen and the drop measured on the same prompts. */
function oldProcedure(curve: Curve, rng: Rng): boolean {
  const means = curve.perPromptGold.map((row) => row.reduce((a, b) => a + b, 0) / row.length);
  const peak = argmax(means);
  const last = POINTS - 1;
  if (peak === 0 || peak === last) return false;
  const differences = curve.perPromptGold[peak]!.map((g, p) => g - curve.perPromptGold[last]![p]!);
  return bootstrapMean(differences, { rng, resamples: RESAMPLES, confidence: CONFIDENCE }).low > 0;
}

/** The alternative the issue allows: bootstrap the whole procedure, the argmax re-chosen in every resample. */
function wholeBootstrap(curve: Curve, rng: Rng): boolean {
  const rows = curve.perPromptGold;
  const means = (indices: Int32Array): number[] => rows.map((row) => indices.reduce((sum, p) => sum + row[p]!, 0) / indices.length);
  const last = POINTS - 1;
  const peak = argmax(means(Int32Array.from({ length: PROMPTS }, (_, p) => p)));
  if (peak === 0 || peak === last) return false;
  const drops = new Float64Array(RESAMPLES);
  const indices = new Int32Array(PROMPTS);
  for (let b = 0; b < RESAMPLES; b++) {
    for (let p = 0; p < PROMPTS; p++) indices[p] = rng.int(PROMPTS);
    const m = means(indices);
    drops[b] = m[argmax(m)]! - m[last]!;
  }
  drops.sort();
  return drops[Math.floor((RESAMPLES * (1 - CONFIDENCE)) / 2)]! > 0;
}

function newProcedure(curve: Curve, rng: Rng): boolean {
  const analysis = analyseOveroptimisation('synthetic', curve.points, curve.perPromptGold, {
    splitRng: rng.fork('split'),
    confidence: CONFIDENCE,
  });
  return analysis!.overoptimises;
}

function rate(replicates: number, truth: (j: number) => number, test: (curve: Curve, rng: Rng) => boolean, label: string): number {
  const rng = Rng.fromSeed(3, `fit/test/calibration/${label}`);
  let positives = 0;
  for (let r = 0; r < replicates; r++) if (test(synthetic(truth, rng.fork(`curve/${r}`)), rng.fork(`test/${r}`))) positives++;
  return positives / replicates;
}

describe('finding 1 calibration: the rise-then-fall test does not flatter', () => {
  const replicates = 4000;
  const oldRate = rate(replicates, plateau, oldProcedure, 'null');
  const newRate = rate(replicates, plateau, newProcedure, 'null');
  const wholeRate = rate(1000, plateau, wholeBootstrap, 'null');

  it('calls a fall on curves that only plateau at about its nominal rate, where the old procedure did not', () => {
    console.log(
      `false-positive rate on monotone plateau curves: old ${oldRate}, whole-procedure bootstrap ${wholeRate}, split-half ${newRate} (nominal ${(1 - CONFIDENCE) / 2})`,
    );
    // Nominal 2.5% (less, as a peak must also be interior); the binomial sd over 4,000 curves is 0.25%.
    expect(newRate).toBeLessThanOrEqual(0.035);
    expect(oldRate).toBeGreaterThan(0.1);
    expect(wholeRate).toBeGreaterThan(0.1);
  });

  it('still finds a real fall', () => {
    const power = rate(200, risesThenFalls(0.6), newProcedure, 'fall');
    console.log(`detection rate of a 0.6 fall: split-half ${power}`);
    expect(power).toBeGreaterThan(0.75);
  });
});
