import type { FitInput } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { unpenalisedRuns } from './selection.ts';
import { KL_CURRENCY_GAIN_FRACTION, MIN_RL_OVER_BON_KL_RATIO } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

interface KlAtGain {
  proxy: string;
  run: string;
  gain: number;
  bonKl: number;
  rlKl: number;
}

/**
 * Finding 7. For each proxy with a BoN curve and an unpenalised RL run, pick the gold gain g =
 * KL_CURRENCY_GAIN_FRACTION × the smaller of the two curves' largest gains over their first point (so both reach it),
 * and find by linear interpolation the first KL at which each curve's gain reaches g. Holds when RL needs more KL
 * than BoN (ratio > MIN_RL_OVER_BON_KL_RATIO) for every such proxy; pairs where a curve never gains are skipped.
 */
export function checkKlCurrency(input: FitInput): Check {
  const pairs = unpenalisedRuns(input.rl).flatMap((run) => {
    const bon = input.bon.find((curve) => curve.proxy.cell === run.proxy.cell);
    return bon ? [{ bon, run }] : [];
  });
  if (pairs.length === 0) {
    return { holds: null, evidence: 'Needs a proxy with both a BoN curve and an unpenalised RL run; this preset has no such pair.', numbers: { pairs: 0 } };
  }
  const measured: KlAtGain[] = [];
  let skipped = 0;
  for (const { bon, run } of pairs) {
    const bonCurve = bon.points.map((p) => ({ kl: p.kl, gold: p.gold.mean }));
    const rlCurve = run.points.map((p) => ({ kl: p.kl.mean, gold: p.gold.mean }));
    const gain = KL_CURRENCY_GAIN_FRACTION * Math.min(maxGain(bonCurve), maxGain(rlCurve));
    const bonKl = gain > 0 ? klToReach(bonCurve, gain) : undefined;
    const rlKl = gain > 0 ? klToReach(rlCurve, gain) : undefined;
    if (bonKl === undefined || rlKl === undefined) skipped++;
    else measured.push({ proxy: bon.proxy.cell, run: run.run, gain, bonKl, rlKl });
  }
  const numbers: FindingNumbers = { pairs: pairs.length, skipped_no_gain: skipped, min_ratio: MIN_RL_OVER_BON_KL_RATIO };
  if (measured.length === 0) {
    return { holds: null, evidence: `${pairs.length} BoN/RL pair(s), but in each one curve never rises above its start, so there is no common gold gain to compare.`, numbers };
  }
  measured.forEach((m, i) => {
    const key = `p${i + 1}_`;
    Object.assign(numbers, {
      [`${key}proxy`]: m.proxy,
      [`${key}run`]: m.run,
      [`${key}gold_gain`]: num(m.gain),
      [`${key}bon_kl`]: num(m.bonKl),
      [`${key}rl_kl`]: num(m.rlKl),
      [`${key}rl_over_bon_kl`]: num(ratio(m)),
    });
  });
  const ratios = measured.map(ratio);
  numbers.min_rl_over_bon_kl = num(Math.min(...ratios));
  const first = measured[0]!;
  const others = measured.length > 1 ? ` Over ${measured.length} pairs the ratio ranges ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}.` : '';
  return {
    holds: ratios.every((r) => r > MIN_RL_OVER_BON_KL_RATIO),
    evidence: `To gain ${fmt(first.gain)} gold on ${first.proxy}, BoN spends ${fmt(first.bonKl, 2)} nats of KL and RL (${first.run}) ${fmt(first.rlKl, 2)} nats: ${fmt(ratio(first), 2)}× as much.${others}`,
    numbers,
  };
}

function ratio(m: KlAtGain): number {
  // BoN's KL can be ~0 only if g is reached at its first point, which g > 0 rules out; guard anyway.
  return m.bonKl > 0 ? m.rlKl / m.bonKl : Number.POSITIVE_INFINITY;
}

function maxGain(curve: readonly { gold: number }[]): number {
  if (curve.length === 0) return Number.NaN;
  return Math.max(...curve.map((p) => p.gold)) - curve[0]!.gold;
}

/** The first KL at which gold − gold(first point) reaches `gain`, interpolating linearly between points. */
export function klToReach(curve: readonly { kl: number; gold: number }[], gain: number): number | undefined {
  if (curve.length === 0) return undefined;
  const start = curve[0]!.gold;
  for (let i = 1; i < curve.length; i++) {
    const previous = curve[i - 1]!.gold - start;
    const current = curve[i]!.gold - start;
    if (current >= gain) {
      const t = current > previous ? (gain - previous) / (current - previous) : 1;
      return curve[i - 1]!.kl + Math.min(Math.max(t, 0), 1) * (curve[i]!.kl - curve[i - 1]!.kl);
    }
  }
  return undefined;
}
