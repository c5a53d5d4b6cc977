import type { Rng } from '@goodhart/core';
import { predictBon, predictRl } from '../src/index.ts';

/** d of best-of-n for n = 1, 2, 4, …, 1024 (KL_bon = ln n − (n−1)/n). */
export const BON_D = Array.from({ length: 11 }, (_, i) => {
  const n = 2 ** i;
  return Math.sqrt(Math.log(n) - (n - 1) / n);
});

/** True d along an RL run: step 0 (d = 0) then growing KL. */
export const RL_D = [0, 0.5, 1, 1.6, 2.3, 3, 3.8, 4.7, 5.6, 6.5];

/**
 * Per-prompt BoN gold: the curve plus a prompt effect shared by all n (harder prompts score lower everywhere) and
 * independent noise per (n, prompt), like an unbiased best-of-n estimate from a finite pool.
 */
export function syntheticBonPrompts(rng: Rng, alpha: number, beta: number, prompts: number): Float64Array[] {
  const promptEffect = Float64Array.from({ length: prompts }, () => 0.3 * rng.normal());
  return BON_D.map((d) => Float64Array.from({ length: prompts }, (_, p) => predictBon(alpha, beta, d) + promptEffect[p]! + 0.8 * rng.normal()));
}

/**
 * Per-prompt RL eval: KL per prompt scatters 10% around d² (exactly 0 at step 0, where policy = initial policy);
 * gold scatters around the curve.
 */
export function syntheticRlPrompts(rng: Rng, alpha: number, beta: number, prompts: number): { perPromptKl: Float64Array[]; perPromptGold: Float64Array[] } {
  const perPromptKl = RL_D.map((d) => Float64Array.from({ length: prompts }, () => d * d * (1 + 0.1 * rng.normal())));
  const perPromptGold = RL_D.map((d) => Float64Array.from({ length: prompts }, () => predictRl(alpha, beta, d) + 0.6 * rng.normal()));
  return { perPromptKl, perPromptGold };
}
