import type { ModelConfig, NamedTensor } from '@goodhart/model';

/** A checkpoint as read from disk: its config and its weights by name. */
export interface CheckpointWeights {
  config: ModelConfig;
  weights: ReadonlyMap<string, NamedTensor>;
}

/**
 * The elementwise mean of checkpoints' weights (WARM, Ramé et al. 2024). Averaging only makes sense for models that
 * started from one pretrained initialisation and so stayed in one basin: the members must have one architecture and
 * the same tensors, which is what proxies of one size of the grid have (each starts from that size's pretrained LM;
 * only the reward head's initialisation and the data order follow the seed). Sums in float64, then rounds once.
 */
export function averageWeights(members: readonly CheckpointWeights[]): CheckpointWeights {
  if (members.length < 2) throw new RangeError(`a weight average needs at least 2 members, got ${members.length}`);
  const [first] = members;
  const configJson = JSON.stringify(first.config);
  for (const [m, member] of members.entries()) {
    if (JSON.stringify(member.config) !== configJson) {
      throw new Error(
        `weight-average member ${m} has model config ${JSON.stringify(member.config)}, member 0 ${configJson}: members must share one architecture`,
      );
    }
    const names = [...member.weights.keys()];
    if (names.length !== first.weights.size || names.some((name) => !first.weights.has(name))) {
      throw new Error(`weight-average member ${m} has tensors ${names.join(', ')}, member 0 ${[...first.weights.keys()].join(', ')}`);
    }
  }
  const weights = new Map<string, NamedTensor>();
  for (const [name, tensor] of first.weights) {
    const sum = new Float64Array(tensor.data.length);
    for (const [m, member] of members.entries()) {
      const other = member.weights.get(name)!;
      if (other.shape.join('x') !== tensor.shape.join('x')) {
        throw new Error(`weight-average member ${m}'s tensor ${name} has shape [${other.shape.join(', ')}], member 0's [${tensor.shape.join(', ')}]`);
      }
      for (let i = 0; i < sum.length; i++) sum[i] += other.data[i];
    }
    weights.set(name, { shape: [...tensor.shape], data: Float32Array.from(sum, (s) => s / members.length) });
  }
  return { config: first.config, weights };
}
