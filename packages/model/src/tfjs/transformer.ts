import * as tf from '@tensorflow/tfjs';
import { validateModelConfig, type ModelConfig } from '../model-config.ts';
import { parameterShapes } from '../engine/weights.ts';
import { batchMatMul, gelu, layerNorm, linear, matMulTransposedB, targetLogProbs } from './ops.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

registerWasmKernels();

/**
 * The tfjs engine's transformer, the reference implementation of the compute interface: a decoder-only
 * transformer (GPT-2 layout: token + position embeddings, pre-LayerNorm blocks with causal
 * multi-head attention and a GELU MLP, final LayerNorm, LM head tied to the token embedding). It holds the
 * reward head's weights for kind "reward"; TfjsModel reads every scalar head from `hidden`.
 *
 * Batches are left-padded: row b's tokens start at column `starts[b]`, so the last column is every row's last
 * token (where the reward head reads and where sampling continues). Pad columns are masked out of attention
 * and positions count from each row's first real token.
 */
export class Transformer {
  readonly params: Map<string, tf.Variable>;

  private constructor(
    readonly config: ModelConfig,
    params: Map<string, tf.Variable>,
  ) {
    this.params = params;
  }

  /** Takes ownership of the tensors. Throws if a parameter is missing, extra or misshapen. */
  static fromTensors(config: ModelConfig, tensors: Map<string, tf.Tensor>): Transformer {
    validateModelConfig(config);
    const expected = parameterShapes(config);
    const problems: string[] = [];
    for (const [name, shape] of expected) {
      const tensor = tensors.get(name);
      if (!tensor) problems.push(`missing ${name}`);
      else if (tensor.shape.join(',') !== shape.join(',')) problems.push(`${name} has shape [${tensor.shape}], expected [${shape}]`);
    }
    for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected ${name}`);
    if (problems.length > 0) throw new Error(`weights do not match the model config:\n  ${problems.join('\n  ')}`);
    const params = new Map<string, tf.Variable>();
    for (const name of expected.keys()) {
      const tensor = tensors.get(name)!;
      params.set(name, tf.variable(tensor, true, `${name}#${nextVariableId++}`));
      tensor.dispose();
    }
    return new Transformer(config, params);
  }

  dispose(): void {
    for (const variable of this.params.values()) variable.dispose();
  }

  private p(name: string): tf.Variable {
    const variable = this.params.get(name);
    if (!variable) throw new Error(`no parameter ${name}`);
    return variable;
  }

  /** Final-LayerNormed hidden states, [B·T, d]. `ids` is [B, T] int32. */
  hidden(ids: tf.Tensor2D, starts?: ArrayLike<number>): tf.Tensor2D {
    const [batch, time] = ids.shape;
    if (time > this.config.contextLength) {
      throw new Error(`sequence length ${time} exceeds the model's context length ${this.config.contextLength}`);
    }
    const layout = batchLayout(batch, time, starts);
    const tokenEmbedding = tf.gather(this.p('wte'), tf.reshape(ids, [-1]));
    const positionEmbedding = tf.gather(this.p('wpe'), tf.tensor1d(layout.positions, 'int32'));
    let x = tf.add(tokenEmbedding, positionEmbedding) as tf.Tensor2D;
    const mask = tf.tensor4d(layout.mask, [batch, 1, time, time]);
    for (let layer = 0; layer < this.config.layers; layer++) {
      x = tf.add(x, this.attention(layer, x, batch, time, mask));
      x = tf.add(x, this.mlp(layer, x));
    }
    return layerNorm(x, this.p('ln_f.g') as tf.Tensor1D, this.p('ln_f.b') as tf.Tensor1D);
  }

  /** LM logits for hidden states [n, d] → [n, vocab]. */
  logits(hidden: tf.Tensor2D): tf.Tensor2D {
    return matMulTransposedB(hidden, this.p('wte') as tf.Tensor2D);
  }

  /** Mean next-token cross-entropy (nats) of `ids` [B, T+1]: inputs ids[:, :-1], targets ids[:, 1:]. */
  lmLoss(ids: tf.Tensor2D): tf.Scalar {
    const [batch, width] = ids.shape;
    const inputs = tf.slice(ids, [0, 0], [batch, width - 1]);
    const targets = tf.reshape(tf.slice(ids, [0, 1], [batch, width - 1]), [-1]) as tf.Tensor1D;
    const picked = targetLogProbs(this.logits(this.hidden(inputs)), tf.oneHot(targets, this.config.vocabSize).toFloat() as tf.Tensor2D);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  }

  /** Fills a KV cache with the (left-padded) prompts and returns the logits for the next token, [B, vocab]. */
  prefill(ids: tf.Tensor2D, starts?: ArrayLike<number>): { cache: KvCache; logits: tf.Tensor2D } {
    const [batch, time] = ids.shape;
    if (time > this.config.contextLength) {
      throw new Error(`sequence length ${time} exceeds the model's context length ${this.config.contextLength}`);
    }
    const layout = batchLayout(batch, time, starts);
    const cache: KvCache = { batch, length: time, starts: Int32Array.from(layout.starts), keys: [], values: [] };
    const logits = tf.tidy(() => {
      const tokenEmbedding = tf.gather(this.p('wte'), tf.reshape(ids, [-1]));
      const positionEmbedding = tf.gather(this.p('wpe'), tf.tensor1d(layout.positions, 'int32'));
      let x = tf.add(tokenEmbedding, positionEmbedding) as tf.Tensor2D;
      const mask = tf.tensor4d(layout.mask, [batch, 1, time, time]);
      for (let layer = 0; layer < this.config.layers; layer++) {
        x = tf.add(x, this.attention(layer, x, batch, time, mask, cache));
        x = tf.add(x, this.mlp(layer, x));
      }
      const hidden = layerNorm(x, this.p('ln_f.g') as tf.Tensor1D, this.p('ln_f.b') as tf.Tensor1D);
      const last = tf.reshape(tf.slice(tf.reshape(hidden, [batch, time, -1]), [0, time - 1, 0], [batch, 1, -1]), [batch, -1]) as tf.Tensor2D;
      return this.logits(last);
    });
    return { cache, logits };
  }

  /** Appends one token per row to the cache and returns the next-token logits, [B, vocab]. */
  decodeStep(cache: KvCache, tokens: ArrayLike<number>): tf.Tensor2D {
    const { batch, length } = cache;
    if (length + 1 > this.config.contextLength) {
      throw new Error(`sampling past the context length ${this.config.contextLength}`);
    }
    const positions = new Int32Array(batch);
    const mask = new Float32Array(batch * (length + 1));
    for (let b = 0; b < batch; b++) {
      positions[b] = Math.max(0, length - cache.starts[b]);
      for (let j = 0; j < cache.starts[b] && j <= length; j++) mask[b * (length + 1) + j] = MASKED;
    }
    return tf.tidy(() => {
      const tokenEmbedding = tf.gather(this.p('wte'), tf.tensor1d(Int32Array.from(tokens), 'int32'));
      let x = tf.add(tokenEmbedding, tf.gather(this.p('wpe'), tf.tensor1d(positions, 'int32'))) as tf.Tensor2D;
      const maskTensor = tf.tensor4d(mask, [batch, 1, 1, length + 1]);
      for (let layer = 0; layer < this.config.layers; layer++) {
        x = tf.add(x, this.attention(layer, x, batch, 1, maskTensor, cache));
        x = tf.add(x, this.mlp(layer, x));
      }
      cache.length = length + 1;
      return this.logits(layerNorm(x, this.p('ln_f.g') as tf.Tensor1D, this.p('ln_f.b') as tf.Tensor1D));
    });
  }

  /**
   * Causal self-attention of block `layer` on x [B·T, d]. With a cache, the keys and values of earlier positions
   * come from it and this call's are appended (kept outside the surrounding tidy).
   */
  private attention(layer: number, x: tf.Tensor2D, batch: number, time: number, mask: tf.Tensor4D, cache?: KvCache): tf.Tensor2D {
    const { heads, dModel } = this.config;
    const headSize = dModel / heads;
    const pre = `h.${layer}.`;
    const normed = layerNorm(x, this.p(`${pre}ln_1.g`) as tf.Tensor1D, this.p(`${pre}ln_1.b`) as tf.Tensor1D);
    const qkv = linear(normed, this.p(`${pre}attn.qkv.w`) as tf.Tensor2D, this.p(`${pre}attn.qkv.b`) as tf.Tensor1D);
    const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const toHeads = (t: tf.Tensor2D): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(t, [batch, time, heads, headSize]), [0, 2, 1, 3]), [batch * heads, time, headSize]);
    let keys = toHeads(k);
    let values = toHeads(v);
    if (cache) {
      const previousKeys = cache.keys[layer];
      const previousValues = cache.values[layer];
      if (previousKeys && previousValues) {
        keys = tf.concat([previousKeys, keys], 1);
        values = tf.concat([previousValues, values], 1);
        previousKeys.dispose();
        previousValues.dispose();
      }
      cache.keys[layer] = tf.keep(keys);
      cache.values[layer] = tf.keep(values);
    }
    const span = keys.shape[1];
    const scores = tf.mul(batchMatMul(toHeads(q), keys, false, true), 1 / Math.sqrt(headSize));
    const weights = tf.softmax(tf.add(tf.reshape(scores, [batch, heads, time, span]), mask));
    const mixed = batchMatMul(tf.reshape(weights, [batch * heads, time, span]) as tf.Tensor3D, values);
    const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, time, headSize]), [0, 2, 1, 3]), [batch * time, dModel]) as tf.Tensor2D;
    return linear(merged, this.p(`${pre}attn.proj.w`) as tf.Tensor2D, this.p(`${pre}attn.proj.b`) as tf.Tensor1D);
  }

  private mlp(layer: number, x: tf.Tensor2D): tf.Tensor2D {
    const pre = `h.${layer}.`;
    const normed = layerNorm(x, this.p(`${pre}ln_2.g`) as tf.Tensor1D, this.p(`${pre}ln_2.b`) as tf.Tensor1D);
    const up = gelu(linear(normed, this.p(`${pre}mlp.fc.w`) as tf.Tensor2D, this.p(`${pre}mlp.fc.b`) as tf.Tensor1D));
    return linear(up, this.p(`${pre}mlp.proj.w`) as tf.Tensor2D, this.p(`${pre}mlp.proj.b`) as tf.Tensor1D);
  }
}

/** Keys and values per layer, [B·heads, length, headSize]; owned by the caller (dispose with disposeCache). */
export interface KvCache {
  batch: number;
  length: number;
  starts: Int32Array;
  keys: tf.Tensor3D[];
  values: tf.Tensor3D[];
}

export function disposeCache(cache: KvCache): void {
  for (const t of [...cache.keys, ...cache.values]) t.dispose();
  cache.keys = [];
  cache.values = [];
}

/** Additive mask value: large and finite, so a fully masked row (a pad query) softmaxes to uniform, not NaN. */
const MASKED = -1e9;

let nextVariableId = 0;

interface BatchLayout {
  starts: number[];
  positions: Int32Array;
  mask: Float32Array;
}

function batchLayout(batch: number, time: number, starts?: ArrayLike<number>): BatchLayout {
  const rowStarts: number[] = [];
  for (let b = 0; b < batch; b++) {
    const start = starts ? starts[b] : 0;
    if (!Number.isInteger(start) || start < 0 || start >= time) {
      throw new Error(`row ${b}: start ${start} must be an integer in [0, ${time - 1}] (left padding)`);
    }
    rowStarts.push(start);
  }
  const positions = new Int32Array(batch * time);
  const mask = new Float32Array(batch * time * time);
  for (let b = 0; b < batch; b++) {
    const start = rowStarts[b];
    for (let i = 0; i < time; i++) {
      positions[b * time + i] = Math.max(0, i - start);
      const row = (b * time + i) * time;
      for (let j = 0; j < time; j++) if (j > i || j < start) mask[row + j] = MASKED;
    }
  }
  return { starts: rowStarts, positions, mask };
}
