import type { Rng } from '@goodhart/core';

/**
 * Split-half (sample splitting) for anything the findings read off a curve's maximum. Picking the peak as the
 * argmax of noisy means and then measuring the fall from it on the same prompts is biased: on a curve that only
 * plateaus, the argmax lands on whichever point noise lifted most, so "peak − last" is positive on average and a
 * bootstrap that holds the peak fixed calls it significant far more often than its nominal level. Choosing on one
 * half of the prompts and measuring on the other removes the bias: given the choice, the other half's numbers are
 * as unbiased as if the point had been named in advance.
 */
export interface PromptSplit {
  /** Prompts whose means choose the point (the peak). */
  select: Int32Array;
  /** Prompts whose means measure at the chosen point, disjoint from `select`. */
  measure: Int32Array;
}

/** At least this many prompts in each half; below it a curve cannot be judged without selection bias. */
export const MIN_PROMPTS_PER_HALF = 2;

/**
 * A seeded random halving of prompts 0..count−1 (the measuring half takes the odd one out). null when there are too
 * few prompts for two halves of MIN_PROMPTS_PER_HALF.
 */
export function splitPrompts(count: number, rng: Rng): PromptSplit | null {
  if (count < 2 * MIN_PROMPTS_PER_HALF) return null;
  const order = rng.shuffle(Array.from({ length: count }, (_, p) => p));
  const half = Math.floor(count / 2);
  return { select: Int32Array.from(order.slice(0, half)).sort(), measure: Int32Array.from(order.slice(half)).sort() };
}

/** Mean of row over the given prompts. */
export function meanOver(row: ArrayLike<number>, prompts: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < prompts.length; i++) sum += row[prompts[i]!]!;
  return sum / prompts.length;
}

/** Row j's mean over the prompts, for every row (e.g. every point of a curve). */
export function meansOver(rows: readonly ArrayLike<number>[], prompts: Int32Array): number[] {
  return rows.map((row) => meanOver(row, prompts));
}

/** The values of row at the given prompts, in order. */
export function valuesAt(row: ArrayLike<number>, prompts: Int32Array): Float64Array {
  return Float64Array.from(prompts, (p) => row[p]!);
}

/** A curve's peak chosen on one half of the prompts and read on the other. */
export interface HeldOutPeak {
  /** Index of the highest mean gold over the selecting half. */
  index: number;
  /** Mean gold at that index, and at the first point, over the measuring half. */
  gold: number;
  start: number;
}

/** null when the curve has no points or too few prompts to halve. */
export function heldOutPeak(perPromptGold: readonly ArrayLike<number>[], rng: Rng): HeldOutPeak | null {
  if (perPromptGold.length === 0) return null;
  const split = splitPrompts(perPromptGold[0]!.length, rng);
  if (!split) return null;
  const selecting = meansOver(perPromptGold, split.select);
  let index = 0;
  for (let j = 1; j < selecting.length; j++) if (selecting[j]! > selecting[index]!) index = j;
  return { index, gold: meanOver(perPromptGold[index]!, split.measure), start: meanOver(perPromptGold[0]!, split.measure) };
}
