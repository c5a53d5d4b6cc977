import type { Rng } from '@goodhart/core';
import { validateModelConfig, type ModelConfig } from '../model-config.ts';
import type { NamedTensor } from './types.ts';

/** A reward model's scalar head; other heads (PPO's `value`) are added by name. */
export const REWARD_HEAD = 'reward';

/** The scalar heads of a model: `reward` for kind "reward", then the extra ones, in that order. */
export function headNamesOf(config: ModelConfig, extraHeads: readonly string[] = []): string[] {
  const names = config.kind === 'reward' ? [REWARD_HEAD, ...extraHeads] : [...extraHeads];
  const seen = new Set<string>();
  for (const name of names) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`head name ${JSON.stringify(name)} must be lower-case letters, digits or _`);
    if (seen.has(name)) throw new Error(`head "${name}" is given twice`);
    seen.add(name);
  }
  return names;
}

/**
 * Names and shapes of every parameter in a fixed order, which is the order of the native engine's packed array:
 * the transformer (GPT-2 names), then `<head>.w` [d, 1] and `<head>.b` [1] per scalar head.
 */
export function parameterLayout(config: ModelConfig, extraHeads: readonly string[] = []): Map<string, number[]> {
  validateModelConfig(config);
  const { vocabSize, contextLength, layers, dModel: d, mlpRatio } = config;
  const shapes = new Map<string, number[]>([
    ['wte', [vocabSize, d]],
    ['wpe', [contextLength, d]],
  ]);
  for (let layer = 0; layer < layers; layer++) {
    const pre = `h.${layer}.`;
    shapes.set(`${pre}ln_1.g`, [d]);
    shapes.set(`${pre}ln_1.b`, [d]);
    shapes.set(`${pre}attn.qkv.w`, [d, 3 * d]);
    shapes.set(`${pre}attn.qkv.b`, [3 * d]);
    shapes.set(`${pre}attn.proj.w`, [d, d]);
    shapes.set(`${pre}attn.proj.b`, [d]);
    shapes.set(`${pre}ln_2.g`, [d]);
    shapes.set(`${pre}ln_2.b`, [d]);
    shapes.set(`${pre}mlp.fc.w`, [d, mlpRatio * d]);
    shapes.set(`${pre}mlp.fc.b`, [mlpRatio * d]);
    shapes.set(`${pre}mlp.proj.w`, [mlpRatio * d, d]);
    shapes.set(`${pre}mlp.proj.b`, [d]);
  }
  shapes.set('ln_f.g', [d]);
  shapes.set('ln_f.b', [d]);
  for (const head of headNamesOf(config, extraHeads)) {
    shapes.set(`${head}.w`, [d, 1]);
    shapes.set(`${head}.b`, [1]);
  }
  return shapes;
}

/** Only the parameters a checkpoint of `config` holds (no extra heads). */
export const parameterShapes = (config: ModelConfig): Map<string, number[]> => parameterLayout(config);

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks `weights` against the layout: every tensor present, none extra, right shape and length, all finite.
 * Throws one error listing every problem.
 */
export function checkWeights(layout: ReadonlyMap<string, number[]>, weights: ReadonlyMap<string, NamedTensor>): void {
  const problems: string[] = [];
  for (const [name, shape] of layout) {
    const tensor = weights.get(name);
    if (!tensor) {
      problems.push(`missing ${name}`);
      continue;
    }
    if (tensor.shape.join(',') !== shape.join(',')) problems.push(`${name} has shape [${tensor.shape}], expected [${shape}]`);
    else if (!(tensor.data instanceof Float32Array)) problems.push(`${name} must hold a Float32Array`);
    else if (tensor.data.length !== elementCount(shape)) problems.push(`${name} holds ${tensor.data?.length} values, expected ${elementCount(shape)}`);
    else {
      const bad = tensor.data.findIndex((value) => !Number.isFinite(value));
      if (bad >= 0) problems.push(`${name} holds a non-finite value (${tensor.data[bad]}) at index ${bad}`);
    }
  }
  for (const name of weights.keys()) if (!layout.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) throw new Error(`weights do not match the model config:\n  ${problems.join('\n  ')}`);
}

/** Whether AdamW's decoupled weight decay applies: matrices only (rank ≥ 2), as GPT-2 practice. */
export function decays(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

/**
 * Fresh weights from `rng`, drawn in layout order: N(0, 0.02), residual projections scaled by 1/√(2·layers) as
 * GPT-2, the reward head with std 1/√(d+1) (lm-human-preferences: unit-scale initial rewards), extra heads at zero
 * (a value head that predicts 0, the proxy's centred mean), gains 1 and biases 0. Engine-independent, so both
 * engines start from the same bytes.
 */
export function initWeights(config: ModelConfig, rng: Rng, extraHeads: readonly string[] = []): Map<string, NamedTensor> {
  const weights = new Map<string, NamedTensor>();
  const extra = new Set(extraHeads.map((head) => `${head}.w`));
  for (const [name, shape] of parameterLayout(config, extraHeads)) {
    weights.set(name, { shape, data: initialValues(name, shape, config, rng, extra.has(name)) });
  }
  return weights;
}

/** A reward model's weights from an LM's: the same backbone plus a fresh `reward` head drawn from `rng`. */
export function rewardWeightsFromLm(
  lmConfig: ModelConfig,
  lmWeights: ReadonlyMap<string, NamedTensor>,
  rng: Rng,
): { config: ModelConfig; weights: Map<string, NamedTensor> } {
  if (lmConfig.kind !== 'lm') throw new Error(`a reward model starts from a language model, got kind "${lmConfig.kind}"`);
  const config: ModelConfig = { ...lmConfig, kind: 'reward' };
  const weights = new Map<string, NamedTensor>();
  for (const [name, shape] of parameterLayout(config)) {
    const source = lmWeights.get(name);
    weights.set(
      name,
      source ? { shape: [...source.shape], data: Float32Array.from(source.data) } : { shape, data: initialValues(name, shape, config, rng, false) },
    );
  }
  return { config, weights };
}

function initialValues(name: string, shape: number[], config: ModelConfig, rng: Rng, zero: boolean): Float32Array {
  const size = elementCount(shape);
  const values = new Float32Array(size);
  const leaf = name.split('.').at(-1);
  if (zero || leaf === 'b') return values;
  if (leaf === 'g') return values.fill(1);
  const std = name === `${REWARD_HEAD}.w` ? 1 / Math.sqrt(config.dModel + 1) : name.endsWith('proj.w') ? 0.02 / Math.sqrt(2 * config.layers) : 0.02;
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return values;
}
