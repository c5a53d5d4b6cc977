import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay, applied to matrices only (not biases, LayerNorm gains or the reward bias). */
  weightDecay: number;
  /** Rescale gradients whose global L2 norm exceeds this. */
  gradientClip: number;
}

export const defaultAdamW: AdamWOptions = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0, gradientClip: 1 };

/**
 * AdamW with global-norm clipping. Written out rather than tf.train.adam so the learning rate can change every
 * step, decay skips vectors, and the moment estimates are plain variables a checkpoint can hold.
 */
export class AdamW {
  private readonly firstMoment = new Map<string, tf.Variable>();
  private readonly secondMoment = new Map<string, tf.Variable>();
  private stepCount = 0;
  readonly options: AdamWOptions;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    options: Partial<AdamWOptions> = {},
  ) {
    this.options = { ...defaultAdamW, ...options };
    for (const [name, variable] of params) {
      this.firstMoment.set(name, zeroVariable(variable.shape));
      this.secondMoment.set(name, zeroVariable(variable.shape));
    }
  }

  get steps(): number {
    return this.stepCount;
  }

  /**
   * Computes the loss and its gradients, and applies one update. Throws before touching any weight when the loss
   * or the gradient norm is not finite, so a diverging run stops with its last good weights intact.
   */
  minimize(loss: () => tf.Scalar, learningRate: number): { loss: number; gradientNorm: number } {
    const { value, grads } = tf.variableGrads(loss, [...this.params.values()]);
    try {
      const lossValue = value.dataSync()[0];
      const normTensor = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
      const gradientNorm = normTensor.dataSync()[0];
      normTensor.dispose();
      if (!Number.isFinite(lossValue) || !Number.isFinite(gradientNorm)) {
        throw new NonFiniteLossError(lossValue, gradientNorm, this.stepCount + 1);
      }
      const scale = gradientNorm > this.options.gradientClip ? this.options.gradientClip / gradientNorm : 1;
      this.apply(grads, learningRate, scale);
      return { loss: lossValue, gradientNorm };
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  /** The moment estimates as named tensors (`m/<param>`, `v/<param>`) and the step count, for a resumable checkpoint. */
  state(): { tensors: Map<string, tf.Tensor>; steps: number } {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, m] of this.firstMoment) tensors.set(`m/${name}`, m);
    for (const [name, v] of this.secondMoment) tensors.set(`v/${name}`, v);
    return { tensors, steps: this.stepCount };
  }

  /** Restores what state() returned; every moment must be present with its parameter's shape. */
  loadState(tensors: ReadonlyMap<string, tf.Tensor>, steps: number): void {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`optimizer step count must be a non-negative integer, got ${steps}`);
    for (const [prefix, moments] of [['m', this.firstMoment], ['v', this.secondMoment]] as const) {
      for (const [name, variable] of moments) {
        const saved = tensors.get(`${prefix}/${name}`);
        if (!saved) throw new Error(`optimizer state lacks ${prefix}/${name}`);
        if (saved.shape.join(',') !== variable.shape.join(',')) throw new Error(`optimizer state ${prefix}/${name} has shape [${saved.shape}], expected [${variable.shape}]`);
        variable.assign(saved);
      }
    }
    this.stepCount = steps;
  }

  private apply(grads: tf.NamedTensorMap, learningRate: number, scale: number): void {
    this.stepCount += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    tf.tidy(() => {
      for (const [name, variable] of this.params) {
        const grad = grads[variable.name];
        if (!grad) continue;
        const g = scale === 1 ? grad : tf.mul(grad, scale);
        const m = this.firstMoment.get(name)!;
        const v = this.secondMoment.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        let next = tf.sub(variable, tf.mul(update, learningRate));
        if (weightDecay > 0 && variable.rank >= 2) next = tf.sub(next, tf.mul(variable, learningRate * weightDecay));
        variable.assign(next);
      }
    });
  }

  dispose(): void {
    for (const v of [...this.firstMoment.values(), ...this.secondMoment.values()]) v.dispose();
  }
}

/** tf.variable shares the initial tensor's data but leaves the tensor itself alive: dispose it. */
function zeroVariable(shape: number[]): tf.Variable {
  const zeros = tf.zeros(shape);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly loss: number,
    readonly gradientNorm: number,
    readonly step: number,
  ) {
    super(`training diverged at step ${step}: loss ${loss}, gradient norm ${gradientNorm} (lower the learning rate or check the data)`);
    this.name = 'NonFiniteLossError';
  }
}
