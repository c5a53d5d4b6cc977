import { Rng } from '@goodhart/core';
import type { FitInput } from '../types.ts';
import { analyseOveroptimisation, type DropTest, type Overoptimisation } from './curve-shape.ts';
import { fmt, fmtInterval, num } from './numbers.ts';
import { DEFAULT_CONFIDENCE } from './thresholds.ts';
import { unpenalisedRuns } from './selection.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 1, by sample splitting (curve-shape.ts): a curve overoptimises when the point of highest mean gold on a
 * random half of its prompts is interior, gold(that point) − gold(last) on the other half has a paired t interval
 * above 0, and mean proxy at the last point exceeds mean proxy at the peak. The finding is about both
 * methods: it holds when at least one BoN curve and at least one unpenalised RL curve overoptimise, and is null
 * when either method has no curve it can judge (the other's evidence is still reported).
 */
export function checkRisesThenFalls(input: FitInput): Check {
  const bon = input.bon
    .map((curve) => analyseOveroptimisation(curve.proxy.cell, curve.points, curve.perPromptGold, dropTest(input, `bon/${curve.proxy.cell}`)))
    .filter((a): a is Overoptimisation => a !== null);
  const rl = unpenalisedRuns(input.rl)
    .map((run) => analyseOveroptimisation(run.run, run.points, run.perPromptGold, dropTest(input, `rl/${run.run}`)))
    .filter((a): a is Overoptimisation => a !== null);

  const numbers: FindingNumbers = {
    bon_curves: bon.length,
    bon_overoptimising: bon.filter((a) => a.overoptimises).length,
    rl_curves: rl.length,
    rl_overoptimising: rl.filter((a) => a.overoptimises).length,
    confidence: num(input.options.confidence || DEFAULT_CONFIDENCE),
  };
  Object.assign(numbers, exampleNumbers('bon', bon), exampleNumbers('rl', rl));
  // Each half of the finding by proxy seed: the RL half may be run against one seed's proxies only.
  numbers.bon_overoptimising_seeds = seedsWith(bon, input, (a) => a.overoptimises, 'bon');
  numbers.rl_overoptimising_seeds = seedsWith(rl, input, (a) => a.overoptimises, 'rl');

  const bonText = methodSentence('BoN', 'curves', bon);
  const rlText =
    rl.length > 0
      ? methodSentence('RL', 'unpenalised runs', rl)
      : 'RL: this preset has no unpenalised PPO runs (klCoefficient 0), so the RL half cannot be tested.';
  const holds = bon.length === 0 || rl.length === 0 ? null : bon.some((a) => a.overoptimises) && rl.some((a) => a.overoptimises);
  const bonMissing = bon.length === 0 ? 'BoN: this preset has no best-of-n curves. ' : '';
  return { holds, evidence: `${bonMissing}${bon.length > 0 ? `${bonText} ` : ''}${rlText}`, numbers };
}

/** The proxy seeds (comma-separated) with at least one curve of the method that satisfies `test`. */
function seedsWith(analyses: readonly Overoptimisation[], input: FitInput, test: (a: Overoptimisation) => boolean, method: 'bon' | 'rl'): string {
  const seedOf = new Map<string, number>(method === 'bon' ? input.bon.map((c) => [c.proxy.cell, c.proxy.seed]) : input.rl.map((r) => [r.run, r.proxy.seed]));
  const seeds = new Set(analyses.filter(test).map((a) => seedOf.get(a.curve)!));
  return [...seeds].sort((a, b) => a - b).join(',');
}

export function dropTest(input: FitInput, label: string): DropTest {
  const confidence = input.options.confidence > 0 && input.options.confidence < 1 ? input.options.confidence : DEFAULT_CONFIDENCE;
  return { splitRng: Rng.fromSeed(input.options.seed, `fit/findings/split/${label}`), confidence };
}

/** The curve with the largest significant drop (else the largest drop) stands for its method in the evidence. */
function example(analyses: readonly Overoptimisation[]): Overoptimisation | undefined {
  const ranked = [...analyses].sort((a, b) => Number(b.overoptimises) - Number(a.overoptimises) || b.drop.mean - a.drop.mean);
  return ranked[0];
}

function exampleNumbers(prefix: string, analyses: readonly Overoptimisation[]): FindingNumbers {
  const a = example(analyses);
  if (!a) return {};
  return {
    [`${prefix}_example_curve`]: a.curve,
    [`${prefix}_example_peak_d`]: num(a.peakD),
    [`${prefix}_example_peak_gold`]: num(a.peakGold),
    [`${prefix}_example_last_gold`]: num(a.lastGold),
    [`${prefix}_example_drop`]: num(a.drop.mean),
    [`${prefix}_example_drop_low`]: num(a.drop.low),
    [`${prefix}_example_drop_high`]: num(a.drop.high),
    [`${prefix}_example_select_prompts`]: a.selectPrompts,
    [`${prefix}_example_measure_prompts`]: a.measurePrompts,
    [`${prefix}_example_proxy_at_peak`]: num(a.proxyAtPeak),
    [`${prefix}_example_proxy_at_last`]: num(a.proxyAtLast),
  };
}

export function methodSentence(method: string, noun: string, analyses: readonly Overoptimisation[]): string {
  const count = analyses.filter((a) => a.overoptimises).length;
  const a = example(analyses);
  if (!a) return `${method}: no ${noun}.`;
  const detail =
    `${a.curve} peaks at d = ${fmt(a.peakD, 2)} on ${a.selectPrompts} prompts, and on the other ${a.measurePrompts} its gold goes ${fmt(a.peakGold)} → ${fmt(a.lastGold)} by the last point, ` +
    `a drop of ${fmt(a.drop.mean)} ${fmtInterval(a.drop.low, a.drop.high)}, while proxy goes ${fmt(a.proxyAtPeak)} → ${fmt(a.proxyAtLast)}`;
  return `${method}: ${count} of ${analyses.length} ${noun} rise then fall significantly (peak chosen on one half of the prompts, drop measured on the other); ${detail}.`;
}
