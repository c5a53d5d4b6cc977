import { parseArgs } from 'node:util';
import { Rng, workspaceRoot } from '@goodhart/core';
import {
  bonFormCurve,
  calibrate,
  FORM_CALIBRATION_SCENARIOS,
  judgedBonCurves,
  judgedRlRuns,
  noiseModelOf,
  readFitSources,
  rlFormCurve,
  type CalibrationRates,
  type NoiseModel,
} from '@goodhart/fit';

/**
 * `npm run calibrate:forms -- --preset quick`: false rejection and power of finding 2's held-out form comparison on
 * synthetic curves that carry a preset's noise (the per-prompt residuals of the curves finding 2 judges, drawn a
 * prompt at a time). Reads the artifacts' per-prompt data for the noise only: it never runs the comparison on the
 * real curves, and the truths are drawn through fixed peaks (FORM_CALIBRATION_SCENARIOS), not fitted to them.
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    replicates: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    confidence: { type: 'string', default: '0.95' },
  },
});

const replicates = Number(values.replicates);
const seed = Number(values.seed);
const confidence = Number(values.confidence);
if (!Number.isInteger(replicates) || replicates < 1) throw new Error(`--replicates must be a positive integer, got ${values.replicates}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
if (!(confidence > 0 && confidence < 1)) throw new Error(`--confidence must be in (0, 1), got ${values.confidence}`);

const { input } = await readFitSources(workspaceRoot(), values.preset);
const models: NoiseModel[] = [noiseModelOf('bon', judgedBonCurves(input).map(bonFormCurve)), noiseModelOf('rl', judgedRlRuns(input).map(rlFormCurve))];

console.log(
  `finding 2 held-out form comparison, calibrated on ${values.preset}'s noise: ${replicates} replicates per truth, seed ${seed}, ${confidence} intervals`,
);
for (const model of models) {
  if (model.curves.length === 0) {
    console.log(`${model.method}: no curves to take the noise from`);
    continue;
  }
  const prompts = model.curves[0]!.residuals.length;
  console.log(
    `\n${model.method === 'bon' ? 'best-of-n' : 'RL'}: ${model.curves.length} curves (${model.curves.map((c) => c.curve).join(', ')}), ${prompts} prompts (halves of ${Math.floor(prompts / 2)} and ${prompts - Math.floor(prompts / 2)})`,
  );
  console.log(`  noise: s.d. of per-prompt gains at the last point ${model.curves.map((c) => lastPointSd(c.residuals).toFixed(3)).join(', ')}`);
  console.log('  d*/max d   R*    false rejection   power   other form found better   (under the own form)');
  const rng = Rng.fromSeed(seed, `fit/calibration/forms/${model.method}`);
  const all: CalibrationRates[] = [];
  for (const scenario of FORM_CALIBRATION_SCENARIOS) {
    const rates = calibrate(model, scenario, replicates, confidence, rng.fork(`${scenario.peakAtFractionOfMaxD}/${scenario.peakGain}`));
    all.push(rates);
    console.log(
      `  ${scenario.peakAtFractionOfMaxD.toFixed(2).padStart(8)}  ${scenario.peakGain.toFixed(2).padStart(5)}   ${percent(rates.falseRejection).padStart(15)}   ${percent(rates.power).padStart(5)}   ${percent(rates.otherFoundBetter).padStart(23)}   ${percent(rates.otherFoundBetterUnderOwn).padStart(20)}`,
    );
  }
  console.log(`  over the ${all.length} truths: false rejection ${range(all.map((r) => r.falseRejection))}, power ${range(all.map((r) => r.power))}`);
}

/** "mean (min–max)" of rates, in percent. */
function range(rates: readonly number[]): string {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return `${percent(mean)} (${percent(Math.min(...rates))}–${percent(Math.max(...rates))})`;
}

function lastPointSd(residuals: readonly Float64Array[]): number {
  const last = residuals[0]!.length - 1;
  let squares = 0;
  for (const row of residuals) squares += row[last]! ** 2;
  return Math.sqrt(squares / (residuals.length - 1));
}

function percent(rate: number): string {
  return `${(100 * rate).toFixed(1)}%`;
}
