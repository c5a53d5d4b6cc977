/**
 * The reward PPO optimises is the proxy's score divided by the score's standard deviation on samples of the initial
 * policy (lm-human-preferences normalises its reward model the same way; the proxy stage's centring shift already
 * gives mean 0 there). Without it a KL coefficient or a learning rate means something different for every proxy,
 * since proxies of different sizes and data spread their scores differently, and the paper's sweeps across RM sizes
 * compare runs at one β_KL.
 */
export function rewardScale(initialScores: ArrayLike<number>): number {
  const n = initialScores.length;
  if (n < 2) throw new RangeError(`the reward scale needs at least 2 scores of initial-policy samples, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(initialScores[i])) throw new RangeError(`initial-policy score ${i} is ${initialScores[i]}: the proxy gives a non-finite score`);
    sum += initialScores[i];
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (initialScores[i] - mean) ** 2;
  const std = Math.sqrt(squares / (n - 1));
  if (!(std > 1e-6)) throw new RangeError(`the proxy scores ${n} initial-policy samples all alike (standard deviation ${std}); it cannot steer PPO`);
  return std;
}
