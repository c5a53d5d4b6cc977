import * as tf from '@tensorflow/tfjs';

/** Σ(x·mask) / Σ mask: means over the response tokens only. */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/**
 * PPO's clipped surrogate, negated to a loss: mean over tokens of max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) with
 * ρ = exp(log π − log π_old). Where the clipped term is the larger one, it does not depend on log π, so those
 * tokens contribute no gradient: the update cannot push the ratio further outside [1−ε, 1+ε].
 */
export function clippedPolicyLoss(logProbs: tf.Tensor, oldLogProbs: tf.Tensor, advantages: tf.Tensor, mask: tf.Tensor, clipRange: number): tf.Scalar {
  const ratio = tf.exp(tf.sub(logProbs, oldLogProbs));
  const unclipped = tf.mul(tf.neg(advantages), ratio);
  const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange));
  return maskedMean(tf.maximum(unclipped, clipped), mask);
}

/** Fraction of response tokens whose ratio lies outside [1−ε, 1+ε] (a health signal for the step size). */
export function clipFraction(logProbs: tf.Tensor, oldLogProbs: tf.Tensor, mask: tf.Tensor, clipRange: number): tf.Scalar {
  const outside = tf.cast(tf.greater(tf.abs(tf.sub(tf.exp(tf.sub(logProbs, oldLogProbs)), 1)), clipRange), 'float32');
  return maskedMean(outside, mask);
}

/** ½·mean max((V − R)², (V_clipped − R)²), V_clipped = V_old + clip(V − V_old, −c, c): PPO's clipped value loss. */
export function clippedValueLoss(values: tf.Tensor, oldValues: tf.Tensor, returns: tf.Tensor, mask: tf.Tensor, clipRange: number): tf.Scalar {
  const clippedValues = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clipRange, clipRange));
  const loss = tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clippedValues, returns)));
  return tf.mul(0.5, maskedMean(loss, mask)) as tf.Scalar;
}
