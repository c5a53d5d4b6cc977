import type { LossAndGradients } from './training.ts';
import { REWARD_HEAD } from './engine/weights.ts';

/** A comparison as the pairwise loss sees it: which response of the pair the label prefers. */
export interface PairLabel {
  /** 0: a preferred, 1: b preferred. */
  preferred: 0 | 1;
}

/**
 * The reward-model loss of the paper, shared by the proxies and the gold RM: −log σ(r_preferred − r_other),
 * averaged over the pairs, from 2B rewards laid out as the B a's then the B b's, and its gradient with respect to
 * them: d/dr_a = −s·σ(−s·Δ)/B and d/dr_b = +s·σ(−s·Δ)/B, with Δ = r_a − r_b and s = ±1 for the label.
 */
export function pairwiseLoss(rewards: Float32Array, rows: readonly PairLabel[]): LossAndGradients {
  const half = rows.length;
  if (rewards.length !== 2 * half) throw new RangeError(`expected ${2 * half} rewards for ${half} pairs, got ${rewards.length}`);
  const gradient = new Float32Array(2 * half);
  let loss = 0;
  for (let i = 0; i < half; i++) {
    const sign = rows[i].preferred === 0 ? 1 : -1;
    const margin = sign * (rewards[i] - rewards[half + i]);
    loss += softplus(-margin);
    const weight = sigmoid(-margin) / half;
    gradient[i] = -sign * weight;
    gradient[half + i] = sign * weight;
  }
  return { loss: loss / half, gradients: { heads: { [REWARD_HEAD]: gradient } } };
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
