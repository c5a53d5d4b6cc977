import * as tf from '@tensorflow/tfjs';
import { matMul2d } from '@goodhart/model';

export const VALUE_WEIGHT = 'value.w';
export const VALUE_BIAS = 'value.b';

/**
 * The critic: a scalar head on the policy's own final hidden states (the trunk is shared, as in
 * lm-human-preferences), so one forward pass gives both log-probabilities and values. Starts at zero: before any
 * update it predicts 0, the proxy's mean on the initial policy after centring.
 */
export class ValueHead {
  private constructor(readonly params: Map<string, tf.Variable>) {}

  static init(dModel: number): ValueHead {
    return ValueHead.fromTensors(new Map([
      [VALUE_WEIGHT, tf.zeros([dModel, 1])],
      [VALUE_BIAS, tf.zeros([1])],
    ]), dModel);
  }

  /** Takes ownership of the tensors. */
  static fromTensors(tensors: ReadonlyMap<string, tf.Tensor>, dModel: number): ValueHead {
    const weight = tensors.get(VALUE_WEIGHT);
    const bias = tensors.get(VALUE_BIAS);
    if (!weight || weight.shape.join(',') !== `${dModel},1`) throw new Error(`value head weight must have shape [${dModel}, 1], got ${weight ? `[${weight.shape}]` : 'none'}`);
    if (!bias || bias.shape.join(',') !== '1') throw new Error(`value head bias must have shape [1], got ${bias ? `[${bias.shape}]` : 'none'}`);
    const params = new Map<string, tf.Variable>();
    for (const [name, tensor] of [[VALUE_WEIGHT, weight], [VALUE_BIAS, bias]] as const) {
      params.set(name, tf.variable(tensor, true, `ppo/${name}#${nextId++}`));
      tensor.dispose();
    }
    return new ValueHead(params);
  }

  /** Values for hidden states [n, d] → [n]. */
  values(hidden: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(tf.add(matMul2d(hidden, this.params.get(VALUE_WEIGHT) as tf.Tensor2D), this.params.get(VALUE_BIAS)!), [-1]);
  }

  dispose(): void {
    for (const variable of this.params.values()) variable.dispose();
  }
}

let nextId = 0;
