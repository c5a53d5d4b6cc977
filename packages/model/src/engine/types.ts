import type { Precision } from './precision.ts';
import type { ModelConfig } from '../model-config.ts';

/**
 * The one compute interface between the stages and a transformer. Stages hand it plain typed arrays and get
 * plain typed arrays back; a loss is ordinary TypeScript over the outputs, and only the loss's gradient with
 * respect to those outputs goes back in. Two engines implement it: `native` (the C++ addon in
 * packages/native) and `tfjs` (TensorFlow.js, the reference).
 */
export type EngineName = 'native' | 'tfjs';

/** A float32 tensor as plain data, row-major. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Token ids [rows, width], row-major and left-padded: row b's real tokens are columns starts[b]..width-1, so the
 * last column is every row's last token. Pad columns are masked out of attention and positions count from each
 * row's first real token.
 */
export interface TokenBatch {
  rows: number;
  width: number;
  ids: Int32Array;
  starts: Int32Array;
}

/** Where scalar heads are read: at every column ([rows·width] per head) or at the last column ([rows]). */
export type HeadReadout = 'all' | 'last';

export interface ForwardRequest {
  /** [rows·width]: logProbs[b, t] = log p(targets[b, t] | ids[b, ≤ t]). Omit to skip the LM head. */
  targets?: Int32Array;
  /** Read the scalar heads (reward, value); omit for none. */
  heads?: HeadReadout;
  /** Keep what backward() needs; the next backward() differentiates this call. */
  train?: boolean;
}

export interface ForwardResult {
  /** [rows·width], present when targets were given. */
  logProbs?: Float32Array;
  /** Per head name: [rows·width] ('all') or [rows] ('last'). Empty when no heads were requested. */
  heads: Record<string, Float32Array>;
}

/** d(loss)/d(output), laid out like the ForwardResult of the train forward. Missing entries count as zero. */
export interface OutputGradients {
  logProbs?: Float32Array;
  heads?: Record<string, Float32Array>;
}

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay, applied to matrices only (not biases, LayerNorm gains or head biases). */
  weightDecay: number;
  /** Rescale gradients whose global L2 norm exceeds this. */
  gradientClip: number;
}

export const defaultAdamW: AdamWOptions = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0, gradientClip: 1 };

/** KV-cache decoding of one batch of prompts. */
export interface DecodeSession {
  readonly rows: number;
  /** Next-token logits [rows·vocab] after the prompts (from prefill) or the last step. */
  readonly logits: Float32Array;
  /** Appends one token per row and returns the next-token logits [rows·vocab]. */
  step(tokens: Int32Array): Float32Array;
  /**
   * Optional fast path (the native engine): one token per row from softmax(logits / temperature) by inverse CDF with
   * uniforms[b] ∈ [0, 1), as Rng.categorical draws, with the tokens' log-probabilities at temperature 1.
   */
  draw?(uniforms: Float64Array, temperature: number): { tokens: Int32Array; logProbs: Float32Array };
  dispose(): void;
}

export interface Model {
  readonly config: ModelConfig;
  /** Scalar heads in parameter order: `reward` for a reward model, plus any extra (PPO's `value`). */
  readonly headNames: readonly string[];
  readonly engine: EngineName;
  /** AdamW steps taken (restored with the optimizer state). */
  readonly steps: number;

  forward(batch: TokenBatch, request: ForwardRequest): ForwardResult;
  /** Adds the parameter gradients of the last train forward, given the gradients of its outputs. */
  backward(gradients: OutputGradients): void;
  /**
   * One AdamW step on the accumulated gradients, which are then cleared. Throws NonFiniteLossError before
   * touching any weight when the gradient norm is not finite.
   */
  step(learningRate: number, options: AdamWOptions): { gradientNorm: number };
  /** Clears accumulated gradients without a step. */
  zeroGradients(): void;

  /** Encodes left-padded prompts into a KV cache; the session's first logits are for the next token. */
  prefill(batch: TokenBatch): DecodeSession;

  /**
   * Optional (the native engine): the scalar heads at the last token of prompt ++ response for each response, with
   * the prompt encoded once (its keys and values shared by every response). Equals forward() on the full sequences
   * with heads 'last', up to float32 summation order. Every response is non-empty; prompt + the longest response
   * fit the context. scorePromptPool (scoring.ts) uses it and falls back to full sequences without it.
   */
  scoreResponses?(prompt: readonly number[], responses: readonly (readonly number[])[]): Record<string, Float32Array>;

  /** Copies of every parameter (transformer, then heads), in checkpoint order. */
  weights(): Map<string, NamedTensor>;
  /** Optimizer moments (`m/<param>`, `v/<param>`) and step count, for a resumable checkpoint. */
  optimizerState(): { tensors: Map<string, NamedTensor>; steps: number };
  loadOptimizerState(tensors: ReadonlyMap<string, NamedTensor>, steps: number): void;
  dispose(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** One line for logs: engine, kernels, threads or tfjs backend, precision. */
  readonly description: string;
  /** The precision its matrix products run in (bf16 only on the native engine where the CPU has AVX512_BF16). */
  readonly precision: Precision;
  /**
   * A model holding copies of `weights`: exactly the parameters of `config` plus `<head>.w` [d, 1] and `<head>.b`
   * [1] for each of `extraHeads`. Throws naming every missing, extra, misshapen or non-finite tensor.
   */
  createModel(config: ModelConfig, weights: ReadonlyMap<string, NamedTensor>, extraHeads?: readonly string[]): Model;
}

export class NonFiniteLossError extends Error {
  /** `loss` is undefined when only the gradient was seen (Model.step does not know the loss). */
  constructor(
    readonly loss: number | undefined,
    readonly gradientNorm: number,
    readonly step: number,
  ) {
    const seen = loss === undefined ? `gradient norm ${gradientNorm}` : `loss ${loss}, gradient norm ${gradientNorm}`;
    super(`training diverged at step ${step}: ${seen} (lower the learning rate or check the data)`);
    this.name = 'NonFiniteLossError';
  }
}
