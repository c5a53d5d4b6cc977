/**
 * Generalised advantage estimation over one response (Schulman et al. 2016), as PPO for language models uses it:
 * token t gets reward rewards[t] (the KL penalty, plus the proxy score on the last token), the episode ends after
 * the last token (bootstrap value 0).
 *   δ_t = r_t + γ·V_{t+1} − V_t,   A_t = δ_t + γλ·A_{t+1},   return_t = A_t + V_t
 */
export function generalizedAdvantages(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  gamma: number,
  lambda: number,
): { advantages: Float64Array; returns: Float64Array } {
  if (rewards.length !== values.length) throw new RangeError(`rewards (${rewards.length}) and values (${values.length}) must have the same length`);
  const length = rewards.length;
  const advantages = new Float64Array(length);
  const returns = new Float64Array(length);
  let next = 0;
  for (let t = length - 1; t >= 0; t--) {
    const nextValue = t + 1 < length ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * nextValue - values[t];
    next = delta + gamma * lambda * next;
    advantages[t] = next;
    returns[t] = next + values[t];
  }
  return { advantages, returns };
}

/** Zero mean, unit variance over every token of the batch (PPO's advantage whitening). */
export function whiten(rows: readonly Float64Array[]): Float64Array[] {
  let count = 0;
  let sum = 0;
  for (const row of rows)
    for (const value of row) {
      sum += value;
      count += 1;
    }
  if (count === 0) return rows.map((row) => Float64Array.from(row));
  const mean = sum / count;
  let squares = 0;
  for (const row of rows) for (const value of row) squares += (value - mean) ** 2;
  const std = Math.sqrt(squares / count);
  const scale = 1 / (std + 1e-8);
  return rows.map((row) => row.map((value) => (value - mean) * scale));
}
