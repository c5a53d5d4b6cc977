/**
 * PPO's losses over plain arrays, with their gradients with respect to the policy's outputs (the log-probs and
 * values of a minibatch, [B·columns] each): the engine backpropagates only those.
 */
export interface PpoLossInputs {
  logProbs: Float32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  values: Float32Array;
  oldValues: Float32Array;
  returns: Float32Array;
  /** 1 on response tokens, 0 elsewhere. */
  mask: Float32Array;
  clipRange: number;
  valueClipRange: number;
  valueCoefficient: number;
}

export interface PpoLoss {
  /** policy loss + valueCoefficient · value loss */
  loss: number;
  policyLoss: number;
  valueLoss: number;
  /** Fraction of response tokens whose ratio lies outside [1−ε, 1+ε] (a health signal for the step size). */
  clipFraction: number;
  dLogProbs: Float32Array;
  dValues: Float32Array;
}

/**
 * The clipped surrogate, negated to a loss: mean over response tokens of max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) with
 * ρ = exp(log π − log π_old). Where the clipped term is strictly larger it does not depend on log π, so those tokens
 * contribute no gradient: the update cannot push the ratio further outside [1−ε, 1+ε].
 * Plus ½·mean max((V − R)², (V_clipped − R)²), V_clipped = V_old + clip(V − V_old, −c, c): the clipped value loss.
 * Means divide by max(Σ mask, 1).
 */
export function ppoLoss(input: PpoLossInputs): PpoLoss {
  const { logProbs, oldLogProbs, advantages, values, oldValues, returns, mask, clipRange, valueClipRange, valueCoefficient } = input;
  const n = mask.length;
  for (const [name, array] of Object.entries({ logProbs, oldLogProbs, advantages, values, oldValues, returns })) {
    if (array.length !== n) throw new RangeError(`${name} holds ${array.length} values, the mask ${n}`);
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += mask[i];
  const scale = 1 / Math.max(count, 1);
  const dLogProbs = new Float32Array(n);
  const dValues = new Float32Array(n);
  let policyLoss = 0;
  let valueLoss = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) continue;
    const weight = mask[i] * scale;
    const ratio = Math.exp(logProbs[i] - oldLogProbs[i]);
    const advantage = advantages[i];
    const unclippedTerm = -advantage * ratio;
    const clippedTerm = -advantage * Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
    if (unclippedTerm >= clippedTerm) {
      policyLoss += weight * unclippedTerm;
      dLogProbs[i] = weight * unclippedTerm; // d(−A·ρ)/d log π = −A·ρ
    } else {
      policyLoss += weight * clippedTerm;
    }
    if (Math.abs(ratio - 1) > clipRange) clipped += weight;

    const difference = values[i] - oldValues[i];
    const clippedValue = oldValues[i] + Math.min(Math.max(difference, -valueClipRange), valueClipRange);
    const plain = (values[i] - returns[i]) ** 2;
    const bounded = (clippedValue - returns[i]) ** 2;
    if (plain >= bounded) {
      valueLoss += 0.5 * weight * plain;
      dValues[i] = valueCoefficient * weight * (values[i] - returns[i]);
    } else {
      valueLoss += 0.5 * weight * bounded;
      // The clipped value moves with V only while V − V_old is inside [−c, c].
      if (Math.abs(difference) <= valueClipRange) dValues[i] = valueCoefficient * weight * (clippedValue - returns[i]);
    }
  }
  return { loss: policyLoss + valueCoefficient * valueLoss, policyLoss, valueLoss, clipFraction: clipped, dLogProbs, dValues };
}
