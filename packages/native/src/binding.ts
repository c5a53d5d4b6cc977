/**
 * The C++ addon's surface, as JavaScript sees it. Every function is synchronous and stateless apart from the
 * thread count: all memory (weights, gradients, optimizer moments, activations, KV caches, outputs) is owned by
 * JavaScript typed arrays and passed in, and the addon works on them in place (zero copy). The addon checks every
 * argument (types, lengths against the shape, token ids, starts, lengths against the context) before touching a
 * pointer, and throws a JavaScript TypeError/RangeError naming the argument.
 *
 * Layout conventions (shared with packages/model's parameterShapes):
 * - `params` is every parameter packed in this order, each row-major:
 *   wte [V, d], wpe [C, d], then per layer l: ln_1.g [d], ln_1.b [d], attn.qkv.w [d, 3d], attn.qkv.b [3d],
 *   attn.proj.w [d, d], attn.proj.b [d], ln_2.g [d], ln_2.b [d], mlp.fc.w [d, r·d], mlp.fc.b [r·d],
 *   mlp.proj.w [r·d, d], mlp.proj.b [d]; then ln_f.g [d], ln_f.b [d]; then for each scalar head h:
 *   w [d] (the [d, 1] column), b [1]. Linear weights are [in, out]: y = x·W + b.
 *   qkv's output columns are q (0..d-1), k (d..2d-1), v (2d..3d-1); head j of q is columns j·hs..(j+1)·hs-1.
 * - A batch is `ids` [B, T] (int32, row-major) with `starts` [B]: row b's real tokens are columns
 *   starts[b]..T-1 (left padding). Position of column t is max(0, t - starts[b]). Query t attends to keys j with
 *   starts[b] ≤ j ≤ t. A pad query (t < starts[b]) attends to nothing: its attention output is 0.
 * - LayerNorm epsilon 1e-5 (biased variance); GELU is the tanh approximation; attention scale 1/√hs.
 * - The LM head is tied: logits = h_final · wteᵀ.
 */
export interface NativeShape {
  vocabSize: number;
  contextLength: number;
  layers: number;
  dModel: number;
  heads: number;
  mlpRatio: number;
  /** Scalar heads (reward, value) after ln_f, each a [d] weight and a bias. */
  scalarHeads: number;
}

/** Where scalar heads are read: 0 = every column ([H, B, T] outputs), 1 = the last column only ([H, B]). */
export type HeadsAt = 0 | 1;

export interface NativeInfo {
  /** The sgemm kernel chosen at run time on this CPU. */
  isa: 'avx512' | 'avx2' | 'portable';
  threads: number;
  /** Compiler and flags, for logs. */
  compiler: string;
  /** Whether the bfloat16 kernels (AVX512_BF16) run here; false on other CPUs or with GOODHART_BF16=fallback. */
  bf16: boolean;
  /** "avx512_bf16", or why the fp32 fallback is used instead (for logs). */
  bf16Status: string;
}

export interface NativeBinding {
  info(): NativeInfo;
  /** Threads for every later call (clamped to [1, 256]). */
  setThreads(threads: number): void;
  /** Floats in the packed parameter array for this shape. */
  parameterCount(shape: NativeShape): number;
  /** Floats the `acts` scratch must hold for a forward (train: also what backward needs) of B×T. */
  activationSize(shape: NativeShape, batch: number, time: number, train: boolean): number;
  /** Floats of a KV cache for `batch` rows up to the context length: [layers, 2, B, heads, C, hs]. */
  cacheSize(shape: NativeShape, batch: number): number;

  /**
   * Forward over ids [B, T].
   * - targets [B, T] or null: logProbs[b, t] = log p(targets[b, t] | ids[b, ≤ t]); logProbs must be [B, T] then.
   *   With targets null the LM head is skipped entirely (logProbs must be null).
   * - heads: null, or [H, B, T] (headsAt 0) / [H, B] (headsAt 1) receiving the scalar heads' outputs.
   * - train: keep in `acts` everything backward needs (acts sized with train = true).
   * - bf16: the weight pack of bf16Pack(shape, params) to run the matrix products in bfloat16 with float32
   *   accumulation (also for backward, prefill and decode), or null/absent for fp32. Only where info().bf16.
   */
  forward(
    shape: NativeShape,
    params: Float32Array,
    acts: Float32Array,
    ids: Int32Array,
    starts: Int32Array,
    batch: number,
    time: number,
    targets: Int32Array | null,
    logProbs: Float32Array | null,
    heads: Float32Array | null,
    headsAt: HeadsAt,
    train: boolean,
    bf16?: Uint16Array | null,
  ): void;

  /**
   * Backward of the last train forward with the same arguments: adds d(loss)/d(params) into `grads` (same layout
   * as params), given dLogProbs (same layout as logProbs, or null) and dHeads (same layout as heads, or null).
   */
  backward(
    shape: NativeShape,
    params: Float32Array,
    grads: Float32Array,
    acts: Float32Array,
    ids: Int32Array,
    starts: Int32Array,
    batch: number,
    time: number,
    targets: Int32Array | null,
    dLogProbs: Float32Array | null,
    dHeads: Float32Array | null,
    headsAt: HeadsAt,
    bf16?: Uint16Array | null,
  ): void;

  /**
   * Encodes left-padded prompts ids [B, T] into `cache` (positions 0..T-1) and writes the next-token logits of the
   * last column, [B, V], into `logits`. `acts` is scratch sized by activationSize(shape, B, T, false).
   */
  prefill(
    shape: NativeShape,
    params: Float32Array,
    cache: Float32Array,
    acts: Float32Array,
    ids: Int32Array,
    starts: Int32Array,
    batch: number,
    time: number,
    logits: Float32Array,
    bf16?: Uint16Array | null,
  ): void;

  /**
   * Appends one token per row at position `length` (the cache holds columns 0..length-1; length < C) and writes
   * the next-token logits [B, V]. Keys j < starts[b] stay masked; the token's position is length - starts[b].
   */
  decode(
    shape: NativeShape,
    params: Float32Array,
    cache: Float32Array,
    acts: Float32Array,
    tokens: Int32Array,
    starts: Int32Array,
    batch: number,
    length: number,
    logits: Float32Array,
    bf16?: Uint16Array | null,
  ): void;

  /**
   * Scalar heads of `batch` sequences sharing one prompt, with the prompt encoded once: prompt [P] (no padding)
   * then responses [batch, width], row b's real tokens in columns 0..lengths[b]−1 (right padding), at positions
   * P.. . heads [H, batch] receives each head at the row's last real token: what forward(prompt ++ response,
   * headsAt 1) gives, up to the summation order of the attention products. P + width ≤ contextLength; acts is
   * scratch sized activationSize(shape, batch, width, false).
   */
  scoreResponses(
    shape: NativeShape,
    params: Float32Array,
    acts: Float32Array,
    prompt: Int32Array,
    responses: Int32Array,
    lengths: Int32Array,
    batch: number,
    width: number,
    heads: Float32Array,
    bf16?: Uint16Array | null,
  ): void;

  /** √Σ g² over the whole array, accumulated in double (NaN or Infinity if any entry is). */
  gradNorm(grads: Float32Array): number;
  /** Index of the first non-finite entry, or -1. */
  firstNonFinite(values: Float32Array): number;

  /**
   * One AdamW step over the packed arrays: g = grads·gradScale; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= lr·(m/(1−β1^step)) / (√(v/(1−β2^step)) + ε); then, inside decayRanges ([start, end) pairs of indices),
   * p −= lr·weightDecay·p_before. `step` counts from 1. Elementwise, so results do not depend on threads.
   */
  adamw(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    decayRanges: Int32Array,
    step: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
    gradScale: number,
  ): void;

  /**
   * One token per row from softmax(logits[b] / temperature), [rows, vocab], by inverse CDF with uniforms[b] ∈ [0, 1)
   * (as Rng.categorical: the first index whose running weight sum exceeds u·total). Writes the tokens and their
   * log-probabilities at temperature 1. Throws naming `logits` when a row is not finite.
   */
  draw(logits: Float32Array, rows: number, vocab: number, temperature: number, uniforms: Float64Array, tokens: Int32Array, logProbs: Float32Array): void;

  /** C = op(A)·op(B) (+ C when accumulate), as in csrc/gemm.h; for tests and the benchmark. */
  sgemm(m: number, n: number, k: number, a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, c: Float32Array, accumulate: boolean): void;

  /** 32-bit words of the bf16 weight pack of this shape (its Uint16Array holds twice as many elements). */
  bf16PackWords(shape: NativeShape): number;
  /**
   * Writes the bfloat16 copies (round to nearest even) of params' weight matrices into pack, a Uint16Array of
   * 2·bf16PackWords(shape). Call once per model and after every change of params (each optimizer step).
   */
  bf16Pack(shape: NativeShape, params: Float32Array, pack: Uint16Array): void;
  /**
   * src [rows, cols] to a bf16 pair matrix (csrc/gemm.h) in dst: with k along each row (kAlongRows, dst
   * 2·rows·⌈cols/2⌉ long) or down the rows (dst 2·⌈rows/2⌉·cols long). For tests and the benchmark.
   */
  bf16Pairs(src: Float32Array, rows: number, cols: number, kAlongRows: boolean, dst: Uint16Array): void;
  /**
   * C = op(A)·op(B) (+ C) in bfloat16 with float32 accumulation on pair matrices from bf16Pairs: a is op(A) with k
   * along its rows ([m, k]) or, transA, down its rows ([k, m]); b likewise [k, n] or, transB, [n, k].
   */
  bgemm(m: number, n: number, k: number, a: Uint16Array, transA: boolean, b: Uint16Array, transB: boolean, c: Float32Array, accumulate: boolean): void;
}
