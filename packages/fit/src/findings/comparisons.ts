import { Rng } from '@goodhart/core';
import type { BonCurve, FitInput, FitResults, ProxyInfo } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { distinct } from './selection.ts';
import { heldOutPeak } from './prompt-split.ts';
import { mean } from './stats.ts';
import { NEAR_CHANCE_VALIDATION_LOSS } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 4. Between the smallest and the largest comparisons count, averaged over the RM sizes present at both:
 * the best gold along the BoN curve rises (its peak chosen on one half of the pool's prompts and its gold read on
 * the other, so a noisy curve's luckiest point does not count as its best), mean RM validation loss falls, and at the smallest count
 * mean validation loss is still ≥ NEAR_CHANCE_VALIDATION_LOSS (near ln 2, chance). β_bon per count is reported for
 * "less overoptimisation" but not tested: with few counts its direction is noisy. Null with fewer than two counts.
 */
export function checkComparisons(input: FitInput, results: FitResults): Check {
  const proxies = input.proxies.length > 0 ? input.proxies : input.bon.map((curve) => curve.proxy);
  const counts = distinct(input.bon.map((curve) => curve.proxy.comparisons)).sort((a, b) => a - b);
  if (counts.length < 2) {
    return {
      holds: null,
      evidence: `Needs BoN curves at two or more comparisons counts; this preset has ${counts.length} (${counts.join(', ') || 'none'}).`,
      numbers: { comparison_counts: counts.length },
    };
  }
  const smallest = counts[0]!;
  const largest = counts[counts.length - 1]!;
  const sizesAt = (count: number): string[] => distinct(input.bon.filter((c) => c.proxy.comparisons === count).map((c) => c.proxy.size));
  const common = sizesAt(smallest).filter((size) => sizesAt(largest).includes(size));
  // Compare like with like: only sizes present at both ends, unless there are none in common.
  const keep = (curve: BonCurve): boolean => common.length === 0 || common.includes(curve.proxy.size);
  const keepProxy = (proxy: ProxyInfo): boolean => common.length === 0 || common.includes(proxy.size);

  const numbers: FindingNumbers = {
    comparison_counts: counts.length,
    smallest_comparisons: smallest,
    largest_comparisons: largest,
    sizes_compared: common.length || null,
  };
  for (const count of counts) {
    numbers[`best_gold_n${count}`] = num(
      bestGold(
        input.bon.filter((c) => c.proxy.comparisons === count && keep(c)),
        input.options.seed,
      ),
    );
    numbers[`validation_loss_n${count}`] = num(mean(proxies.filter((p) => p.comparisons === count && keepProxy(p)).map((p) => p.validationLoss)));
    numbers[`beta_bon_n${count}`] = num(mean(results.bon.filter((f) => f.proxy.comparisons === count && keepProxy(f.proxy)).map((f) => f.beta.mean)));
  }
  const goldSmall = bestGold(
    input.bon.filter((c) => c.proxy.comparisons === smallest && keep(c)),
    input.options.seed,
  );
  const goldLarge = bestGold(
    input.bon.filter((c) => c.proxy.comparisons === largest && keep(c)),
    input.options.seed,
  );
  const lossSmall = mean(proxies.filter((p) => p.comparisons === smallest && keepProxy(p)).map((p) => p.validationLoss));
  const lossLarge = mean(proxies.filter((p) => p.comparisons === largest && keepProxy(p)).map((p) => p.validationLoss));
  numbers.near_chance_threshold = NEAR_CHANCE_VALIDATION_LOSS;
  numbers.chance_loss = num(Math.LN2);

  const goldRises = goldLarge > goldSmall;
  const lossFalls = lossLarge < lossSmall;
  const nearChance = lossSmall >= NEAR_CHANCE_VALIDATION_LOSS;
  return {
    holds: goldRises && lossFalls && nearChance,
    evidence:
      `From ${smallest} to ${largest} comparisons, best BoN gold goes ${fmt(goldSmall)} → ${fmt(goldLarge)} and RM validation loss ${fmt(lossSmall)} → ${fmt(lossLarge)} nats; ` +
      `at ${smallest} comparisons the loss is ${nearChance ? '' : 'not '}near chance (≥ ${NEAR_CHANCE_VALIDATION_LOSS}; ln 2 = ${fmt(Math.LN2)}).`,
    numbers,
  };
}

/** Mean over curves of each curve's held-out best gold (NaN when no curve has prompts enough to halve). */
function bestGold(curves: readonly BonCurve[], seed: number): number {
  return mean(
    curves.flatMap((c) => {
      const peak = heldOutPeak(c.perPromptGold, Rng.fromSeed(seed, `fit/findings/best-gold/${c.proxy.cell}`));
      return peak ? [peak.gold] : [];
    }),
  );
}
