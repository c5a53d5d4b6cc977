import type { ModelConfig } from '../model-config.ts';
import type { AdamWOptions, ForwardRequest, OutputGradients, TokenBatch } from './types.ts';
import { NonFiniteLossError } from './types.ts';

/**
 * Argument checks shared by both engines, so a bad batch fails the same way, with a message naming the argument,
 * whichever engine runs (the native addon checks again before it touches a pointer).
 */
export function checkBatch(config: ModelConfig, batch: TokenBatch, request: ForwardRequest): void {
  const { rows, width, ids, starts } = batch;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`batch.rows: got ${rows}; must be a positive integer`);
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`batch.width: got ${width}; must be a positive integer`);
  if (width > config.contextLength) throw new RangeError(`batch.width: sequence length ${width} exceeds the model's context length ${config.contextLength}`);
  if (!(ids instanceof Int32Array)) throw new TypeError('batch.ids: must be an Int32Array');
  if (ids.length !== rows * width) throw new RangeError(`batch.ids: holds ${ids.length} ids, expected rows × width = ${rows * width}`);
  if (!(starts instanceof Int32Array)) throw new TypeError('batch.starts: must be an Int32Array');
  if (starts.length !== rows) throw new RangeError(`batch.starts: holds ${starts.length} values, expected one per row (${rows})`);
  checkTokenIds('batch.ids', ids, config.vocabSize, width);
  starts.forEach((start, row) => {
    if (start < 0 || start >= width) throw new RangeError(`batch.starts: row ${row} starts at ${start}, outside [0, ${width - 1}] (left padding)`);
  });
  if (request.targets !== undefined) {
    if (!(request.targets instanceof Int32Array)) throw new TypeError('targets: must be an Int32Array');
    if (request.targets.length !== rows * width) throw new RangeError(`targets: holds ${request.targets.length} ids, expected rows × width = ${rows * width}`);
    checkTokenIds('targets', request.targets, config.vocabSize, width);
  }
  if (request.heads !== undefined && request.heads !== 'all' && request.heads !== 'last') {
    throw new RangeError(`heads: got ${JSON.stringify(request.heads)}; allowed: "all", "last"`);
  }
}

function checkTokenIds(argument: string, ids: Int32Array, vocabSize: number, width: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= vocabSize) {
      throw new RangeError(`${argument}: token id ${id} at row ${Math.floor(i / width)}, column ${i % width} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
}

export function checkOutputGradients(batch: TokenBatch, request: ForwardRequest, headNames: readonly string[], gradients: OutputGradients): void {
  if (gradients.logProbs !== undefined) {
    if (!request.targets) throw new RangeError('gradients.logProbs: the train forward computed no log-probs (no targets)');
    checkGradient('gradients.logProbs', gradients.logProbs, batch.rows * batch.width);
  }
  for (const [name, gradient] of Object.entries(gradients.heads ?? {})) {
    if (!headNames.includes(name)) throw new RangeError(`gradients.heads.${name}: the model has no head "${name}" (heads: ${headNames.join(', ') || 'none'})`);
    if (!request.heads) throw new RangeError(`gradients.heads.${name}: the train forward read no heads`);
    checkGradient(`gradients.heads.${name}`, gradient, request.heads === 'all' ? batch.rows * batch.width : batch.rows);
  }
}

function checkGradient(argument: string, values: Float32Array, length: number): void {
  if (!(values instanceof Float32Array)) throw new TypeError(`${argument}: must be a Float32Array`);
  if (values.length !== length) throw new RangeError(`${argument}: holds ${values.length} values, expected ${length}`);
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new RangeError(`${argument}: non-finite value ${values[bad]} at index ${bad} (a NaN loss?)`);
}

/**
 * The factor that clips gradients of global norm `gradientNorm` to `gradientClip`. A non-finite norm is refused:
 * the step throws before any weight (or optimizer moment) changes, after `discard` clears the gradients.
 */
export function clipScale(gradientNorm: number, gradientClip: number, nextStep: number, discard: () => void): number {
  if (!Number.isFinite(gradientNorm)) {
    discard();
    throw new NonFiniteLossError(undefined, gradientNorm, nextStep);
  }
  return gradientNorm > gradientClip ? gradientClip / gradientNorm : 1;
}

export function checkStepArguments(learningRate: number, options: AdamWOptions): void {
  if (!Number.isFinite(learningRate) || learningRate < 0) throw new RangeError(`learningRate: got ${learningRate}; must be a finite number ≥ 0`);
  const { beta1, beta2, epsilon, weightDecay, gradientClip } = options;
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`beta1: got ${beta1}; must be in [0, 1)`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`beta2: got ${beta2}; must be in [0, 1)`);
  if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new RangeError(`epsilon: got ${epsilon}; must be a finite number > 0`);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new RangeError(`weightDecay: got ${weightDecay}; must be a finite number ≥ 0`);
  if (!(gradientClip > 0)) throw new RangeError(`gradientClip: got ${gradientClip}; must be > 0 (Infinity for no clipping)`);
}
