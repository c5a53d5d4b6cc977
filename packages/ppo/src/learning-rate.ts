import type { PpoConfig } from '@goodhart/core';

/**
 * The learning rate of iteration `i` (0-based) of a run of `ppo.iterations`: constant, or annealed linearly to 0 over
 * the run as lm-human-preferences does (lr·(1 − i/iterations)). The stage and the tuning script both call this, so a
 * tuned candidate trains exactly as a reported run would.
 */
export function scheduledLearningRate(ppo: Pick<PpoConfig, 'learningRate' | 'learningRateSchedule' | 'iterations'>, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= ppo.iterations) throw new RangeError(`iteration must be an integer in [0, ${ppo.iterations}); got ${i}`);
  return ppo.learningRateSchedule === 'linear' ? ppo.learningRate * (1 - i / ppo.iterations) : ppo.learningRate;
}
