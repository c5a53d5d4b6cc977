import type { Rng } from '@goodhart/core';

export interface ScoredSample {
  promptId: number;
  sampleIndex: number;
  tokens: number[];
  text: string;
  /** The policy emitted end-of-text within the token budget. */
  ended: boolean;
  /** Gold in normalised units (initial-policy mean 0, standard deviation 1). */
  gold: number;
  /** The human's score in its own normalised units (equal to gold when gold.kind is "lexicon"). */
  human: number;
}

export interface Comparison {
  promptId: number;
  a: ScoredSample;
  b: ScoredSample;
  /** 0 when a is preferred, 1 when b is: what the reward model is trained on. */
  preferred: 0 | 1;
  /** What gold says, before label noise. */
  goldPreferred: 0 | 1;
  /** The label was replaced by a coin flip (it may still agree with gold). */
  flipped: boolean;
  /** What the human says: 0 (a), 1 (b), or −1 when the human scores both the same. */
  humanPreferred: 0 | 1 | -1;
}

/**
 * Every pair of samples of the same prompt becomes a comparison; the one with higher gold is preferred and exact
 * ties are dropped (they carry no preference). The pair's order is random so position says nothing. With label
 * noise f, a fraction 2f of labels are replaced by fair coin flips, so a fraction f end up disagreeing with gold
 * (Coste et al.'s "25% noise" is f = 0.25: half the labels are coin flips).
 */
export function buildComparisons(samplesByPrompt: readonly (readonly ScoredSample[])[], labelNoise: number, rng: Rng): Comparison[] {
  if (!(labelNoise >= 0 && labelNoise <= 0.5)) throw new Error(`label.labelNoise must be in [0, 0.5], got ${labelNoise}`);
  const comparisons: Comparison[] = [];
  for (const samples of samplesByPrompt) {
    for (let i = 0; i < samples.length; i++) {
      for (let j = i + 1; j < samples.length; j++) {
        if (samples[i].gold === samples[j].gold) continue;
        const [a, b] = rng.float() < 0.5 ? [samples[i], samples[j]] : [samples[j], samples[i]];
        const goldPreferred: 0 | 1 = a.gold > b.gold ? 0 : 1;
        const flipped = rng.float() < 2 * labelNoise;
        const preferred: 0 | 1 = flipped ? (rng.float() < 0.5 ? 0 : 1) : goldPreferred;
        const humanPreferred: 0 | 1 | -1 = a.human === b.human ? -1 : a.human > b.human ? 0 : 1;
        comparisons.push({ promptId: a.promptId, a, b, preferred, goldPreferred, flipped, humanPreferred });
      }
    }
  }
  return comparisons;
}

/** Mean and (population) standard deviation; the gold units every later stage reports in. */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  if (values.length === 0) throw new Error('no values to normalise');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  const std = Math.sqrt(squares / values.length);
  if (!(std > 0))
    throw new Error(
      'gold has zero spread over the initial-policy samples: cannot normalise (every sample scored the same; a label.temperature near 0 makes every sample of a prompt alike)',
    );
  return { mean, std };
}
