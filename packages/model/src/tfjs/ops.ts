import * as tf from '@tensorflow/tfjs';

type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * Building blocks with hand-written gradients. On wasm, matMul is fast only for untransposed, unbatched inputs,
 * while autodiff's gradients ask for transposed products (~10× slower there). Materialising the transposes
 * first keeps every product on the fast path.
 */

/** x [n, in] · w [in, out] */
export const matMul2d = tf.customGrad((...args: CustomGradArgs) => {
  const [x2, w2, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x2, w2]);
  return {
    value: tf.matMul(x2, w2),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [n, k] · wᵀ for w [out, k]: the tied LM head, logits = h · embeddingᵀ. */
export const matMulTransposedB = tf.customGrad((...args: CustomGradArgs) => {
  const [x2, w2, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x2, w2]);
  return {
    value: tf.matMul(x2, tf.transpose(w2)),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      // dW = dyᵀ·x, computed as (xᵀ·dy)ᵀ: transposing x and the [k, out] result is far cheaper than dy [n, vocab].
      return [tf.matMul(dy2, ws), tf.transpose(tf.matMul(tf.transpose(xs), dy2))];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** Batched a [b, m, k] · b [b, k, n] with optional transposes, always executed untransposed. */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  return batchMatMulCore(transposeA ? tf.transpose(a, [0, 2, 1]) : a, transposeB ? tf.transpose(b, [0, 2, 1]) : b);
}

const batchMatMulCore = tf.customGrad((...args: CustomGradArgs) => {
  const [a3, b3, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a3, b3]);
  return {
    value: tf.matMul(a3, b3),
    gradFunc: (dy, saved) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      const dy3 = dy as tf.Tensor3D;
      return [tf.matMul(dy3, tf.transpose(bs, [0, 2, 1])), tf.matMul(tf.transpose(as, [0, 2, 1]), dy3)];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Column sums of a [n, k] matrix as ones[1, n]·m: wasm's reduction over axis 0 is ~10× slower than this product. */
function columnSums(m: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, m.shape[0]]), m), [m.shape[1]]);
}

/** x [n, k] + bias [k], with the bias gradient as a product (see columnSums). */
export const addBias = tf.customGrad((...args: CustomGradArgs) => {
  const [x, bias] = args as [tf.Tensor2D, tf.Tensor1D];
  return {
    value: tf.add(x, bias),
    gradFunc: (dy) => [dy as tf.Tensor2D, columnSums(dy as tf.Tensor2D)],
  };
}) as (x: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/** x [n, k] · gain [k] + bias [k] (LayerNorm's affine part). */
const scaleShift = tf.customGrad((...args: CustomGradArgs) => {
  const [x, gain, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, gain]);
  return {
    value: tf.add(tf.mul(x, gain), bias),
    gradFunc: (dy, saved) => {
      const [xs, gs] = saved as [tf.Tensor2D, tf.Tensor1D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.mul(dy2, gs), columnSums(tf.mul(dy2, xs)), columnSums(dy2)];
    },
  };
}) as (x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D) => tf.Tensor2D;

/** Affine layer on rows: x [n, in] · w [in, out] + bias [out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return addBias(matMul2d(x, w), bias);
}

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return scaleShift(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gain, bias);
}

/** GELU, tanh approximation (as GPT-2). x·x·x rather than pow: pow is 2.5× slower on wasm. */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const cube = tf.mul(tf.mul(x, x), x);
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, cube)));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * log p(target) per row from logits [n, vocab] and one-hot targets, with the gradient written directly as
 * (onehot − softmax)·dy: autodiff through logSoftmax costs several extra passes over the [n, vocab] matrix.
 */
export const targetLogProbs = tf.customGrad((...args: CustomGradArgs) => {
  const [logits, oneHot, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  const logProbs = tf.logSoftmax(logits);
  save([logProbs, oneHot]);
  return {
    value: tf.sum(tf.mul(logProbs, oneHot), -1),
    gradFunc: (dy, saved) => {
      const [lp, oh] = saved as [tf.Tensor2D, tf.Tensor2D];
      const column = tf.reshape(dy, [-1, 1]);
      return [tf.mul(tf.sub(oh, tf.exp(lp)), column), tf.zerosLike(oh)];
    },
  };
}) as (logits: tf.Tensor2D, oneHot: tf.Tensor2D) => tf.Tensor1D;
