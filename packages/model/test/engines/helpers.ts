/**
 * Shared pieces of the native-vs-reference suite: the native gate, both engines, tiny and preset-shaped configs,
 * seeded weights and left-padded batches, the error metrics, and the gradient read-out through AdamW's first
 * moment. Only the model package's public interface (and @goodhart/core, @goodhart/native) is used here.
 */
import { describe, it } from 'vitest';
import { loadPipeline, Rng } from '@goodhart/core';
import { loadNativeBinding, type NativeBinding } from '@goodhart/native';
import {
  createEngine,
  initWeights,
  parameterLayout,
  type AdamWOptions,
  type Engine,
  type Model,
  type ModelConfig,
  type NamedTensor,
  type TokenBatch,
} from '../../src/index.ts';

// ---------------------------------------------------------------------------------------------------------------
// The native gate.

const loaded = loadNativeBinding();
/** Why the native engine is unavailable, or undefined when the addon loaded. */
export const nativeUnavailable: string | undefined = 'error' in loaded ? loaded.error : undefined;
/** CI sets GOODHART_REQUIRE_NATIVE=1: there a missing addon fails the suite instead of skipping it. */
export const nativeRequired = process.env.GOODHART_REQUIRE_NATIVE === '1';

/** The raw addon (bypassing every TypeScript check); only call inside describeNative. */
export function rawBinding(): NativeBinding {
  if ('error' in loaded) throw new Error(`the native engine is unavailable: ${loaded.error}`);
  return loaded.binding;
}

/**
 * A describe block that needs the native addon. Without it: a failing test when GOODHART_REQUIRE_NATIVE=1, else the
 * block is skipped and its title says why.
 */
export function describeNative(title: string, body: () => void): void {
  if (nativeUnavailable !== undefined && nativeRequired) {
    describe(title, () => {
      it('loads the native addon (GOODHART_REQUIRE_NATIVE=1)', () => {
        throw new Error(`GOODHART_REQUIRE_NATIVE=1 but the native engine is unavailable: ${nativeUnavailable}`);
      });
    });
    return;
  }
  const reason =
    nativeUnavailable === undefined
      ? ''
      : ` — SKIPPED: native engine unavailable (${oneLine(nativeUnavailable)}); set GOODHART_REQUIRE_NATIVE=1 to make this a failure`;
  describe.skipIf(nativeUnavailable !== undefined)(`${title}${reason}`, body);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 240 ? `${flat.slice(0, 240)}…` : flat;
}

// ---------------------------------------------------------------------------------------------------------------
// Engines.

export interface Engines {
  native: Engine;
  tfjs: Engine;
}

let engines: Promise<Engines> | undefined;

/** Both engines, created once per test file (the reference runs TensorFlow.js on its wasm backend). */
export function bothEngines(): Promise<Engines> {
  engines ??= (async () => ({ native: await createEngine('native'), tfjs: await createEngine('tfjs', 'wasm') }))();
  return engines;
}

// ---------------------------------------------------------------------------------------------------------------
// Configs.

/** The tiny LM most tests use: vocab 50, context 16, 2 layers, d 32, 4 heads, MLP ratio 4. */
export const TINY: ModelConfig = { kind: 'lm', vocabSize: 50, contextLength: 16, layers: 2, dModel: 32, heads: 4, mlpRatio: 4 };

/** Tiny configs: TINY, TINY with one attention head, and TINY with an MLP ratio of 2. */
export const tinyConfigs: Record<string, ModelConfig> = {
  'tiny (V50 C16 L2 d32 h4 r4)': TINY,
  'one head (h1)': { ...TINY, heads: 1 },
  'mlpRatio 2': { ...TINY, mlpRatio: 2 },
};

/**
 * The `test` preset's model shapes (pipelines/test.json), built as the pretrain stage builds them (vocab from the
 * tokenizer section, context from pretrain) without running the pipeline.
 */
export function presetConfigs(): Record<string, ModelConfig> {
  const preset = loadPipeline('test');
  const out: Record<string, ModelConfig> = {};
  for (const [name, size] of Object.entries(preset.models)) {
    out[`test preset "${name}"`] = { kind: 'lm', vocabSize: preset.tokenizer.vocabSize, contextLength: preset.pretrain.contextLength, ...size };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Weights and batches.

/**
 * initWeights from a seeded Rng, then (perturb, the default) every LayerNorm gain, bias and extra head drawn at
 * random too: initWeights leaves gains at 1, biases and extra heads at 0, which would hide a wrong bias or gain
 * path (and a zero value head passes no gradient into the backbone).
 */
export function randomWeights(config: ModelConfig, seed: number, extraHeads: readonly string[] = [], perturb = true): Map<string, NamedTensor> {
  const weights = initWeights(config, Rng.fromSeed(seed, 'engines-test/init'), extraHeads);
  if (!perturb) return weights;
  const rng = Rng.fromSeed(seed, 'engines-test/perturb');
  const heads = new Set(extraHeads.flatMap((h) => [`${h}.w`, `${h}.b`]));
  for (const [name, tensor] of weights) {
    const leaf = name.split('.').at(-1);
    const std = heads.has(name) ? 1 / Math.sqrt(config.dModel) : leaf === 'g' ? 0.1 : leaf === 'b' ? 0.02 : 0;
    if (std === 0) continue;
    for (let i = 0; i < tensor.data.length; i++) tensor.data[i] += rng.normal() * std;
  }
  return weights;
}

/** A deep copy, so two models never share arrays. */
export function cloneWeights(weights: ReadonlyMap<string, NamedTensor>): Map<string, NamedTensor> {
  return new Map([...weights].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
}

/**
 * Left-padded random batch: row b holds lengths[b] real tokens at the right; pad columns hold random ids too (they
 * must not matter). Targets are random ids everywhere.
 */
export function paddedBatch(rng: Rng, vocab: number, lengths: readonly number[]): { batch: TokenBatch; targets: Int32Array } {
  const rows = lengths.length;
  const width = Math.max(...lengths);
  const ids = new Int32Array(rows * width);
  const targets = new Int32Array(rows * width);
  for (let i = 0; i < ids.length; i++) {
    ids[i] = rng.int(vocab);
    targets[i] = rng.int(vocab);
  }
  return { batch: { rows, width, ids, starts: Int32Array.from(lengths, (n) => width - n) }, targets };
}

/** Row lengths of a left-padded batch whose longest row is `width` (rows differ in length; one is full). */
export function mixedLengths(width: number, rows: number): number[] {
  return Array.from({ length: rows }, (_, b) => Math.max(1, width - Math.round((b * (width - 1)) / Math.max(rows - 1, 1))));
}

/** 1 where column t of row b is a real token (t ≥ starts[b]), else 0: [rows·width]. */
export function realColumns(batch: TokenBatch): Float32Array {
  const mask = new Float32Array(batch.rows * batch.width);
  for (let b = 0; b < batch.rows; b++) for (let t = batch.starts[b]; t < batch.width; t++) mask[b * batch.width + t] = 1;
  return mask;
}

/** Equal-length random LM windows [rows, width + 1]. */
export function randomWindows(rng: Rng, vocab: number, rows: number, windowWidth: number): Int32Array {
  return Int32Array.from({ length: rows * windowWidth }, () => rng.int(vocab));
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics.

/** max over kept entries of |a − b| / max(|b|, floor) (floor 1: relative for |ref| ≥ 1, absolute below). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, keep?: ArrayLike<number>, floor = 1): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && keep[i] === 0) continue;
    const error = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

/** max |a − b| / max |b| over kept entries: error relative to the output's scale. */
export function scaleRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, keep?: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && keep[i] === 0) continue;
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst / Math.max(scale, 1e-30);
}

export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>, keep?: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && keep[i] === 0) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** ‖a − b‖₂ / max(‖b‖₂, floor): one tensor's relative L2 error. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  const error = l2(Array.from(a, (x, i) => x - b[i])) / Math.max(l2(b), floor);
  return Number.isNaN(error) ? Infinity : error;
}

export function l2(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] * values[i];
  return Math.sqrt(total);
}

// ---------------------------------------------------------------------------------------------------------------
// Gradients.

/**
 * The Model interface has no gradient getter, so gradients are read through the optimizer: one AdamW step with
 * β1 = 0, no clipping (gradientClip ∞), no weight decay and learning rate 0 sets the first moment to
 * m = β1·m + (1 − β1)·g = g exactly (both engines compute 0·m + 1·g, exact in float32) and leaves the weights
 * unchanged (p −= 0·update), so several gradients can be read from one model.
 */
export const READ_GRADIENT: AdamWOptions = { beta1: 0, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, gradientClip: Infinity };

/** Runs `accumulate` (train forwards and backwards), then returns every parameter's gradient and the global norm. */
export function readGradients(model: Model, accumulate: () => void): { gradients: Map<string, Float32Array>; norm: number } {
  accumulate();
  const { gradientNorm } = model.step(0, READ_GRADIENT);
  const gradients = new Map<string, Float32Array>();
  for (const [name, tensor] of model.optimizerState().tensors) if (name.startsWith('m/')) gradients.set(name.slice(2), tensor.data);
  // the moments hold the gradient the engine itself measured: same global norm
  const norm = l2([...gradients.values()].map(l2));
  if (!(Math.abs(norm - gradientNorm) <= 1e-5 * gradientNorm)) throw new Error(`the first moment (norm ${norm}) is not the gradient (norm ${gradientNorm})`);
  return { gradients, norm: gradientNorm };
}

/**
 * Per-parameter relative L2 errors of native against tfjs gradients, ‖g_native − g_tfjs‖ / max(‖g_tfjs‖, tiny) with
 * tiny = 1e-12 × the global reference gradient norm, and the worst one. Gradients that are zero by construction
 * (`structurallyZero`: a pairwise loss is invariant to ln_f.b and the reward bias, whose gradient is Σ dr_a + dr_b = 0)
 * hold only rounding noise, so for those the error is ‖g_native − g_tfjs‖ / global norm instead (`zeroError`).
 */
export function compareGradients(
  config: ModelConfig,
  extraHeads: readonly string[],
  native: Map<string, Float32Array>,
  reference: Map<string, Float32Array>,
  structurallyZero: readonly string[] = [],
): { worst: number; worstName: string; errors: Map<string, number>; zeroError: number } {
  const errors = new Map<string, number>();
  const names = [...parameterLayout(config, extraHeads).keys()];
  const global = l2(names.map((name) => l2(reference.get(name) ?? [])));
  let worst = 0;
  let worstName = '';
  let zeroError = 0;
  for (const name of names) {
    const a = native.get(name);
    const b = reference.get(name);
    if (!a || !b) throw new Error(`no gradient for ${name}`);
    if (structurallyZero.includes(name)) {
      zeroError = Math.max(zeroError, l2(Array.from(a, (x, i) => x - b[i])) / global);
      continue;
    }
    const error = relativeL2(a, b, 1e-12 * global);
    errors.set(name, error);
    if (!(error <= worst)) {
      worst = error;
      worstName = name;
    }
  }
  return { worst, worstName, errors, zeroError };
}

/** log-softmax of one logits row at `index`, in double. */
export function logSoftmaxAt(logits: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  return logits[index] - max - Math.log(total);
}

/** Collected measurements, printed once per file so they can be copied into the issue. */
export const measured: string[] = [];
export function record(line: string): void {
  measured.push(line);
}
export function printMeasured(file: string): void {
  if (measured.length > 0) process.stdout.write(`\n[engines/${file}] measured:\n  ${measured.join('\n  ')}\n`);
}

export function fmt(x: number): string {
  return x === 0 ? '0' : x.toExponential(2);
}
