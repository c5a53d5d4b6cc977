import type { HeadsAt, NativeBinding, NativeShape } from '@goodhart/native';
import type { ModelConfig } from '../model-config.ts';
import type { Precision } from '../engine/precision.ts';
import { checkBatch, checkOutputGradients, checkStepArguments, clipScale } from '../engine/checks.ts';
import type { AdamWOptions, DecodeSession, Engine, ForwardRequest, ForwardResult, Model, NamedTensor, OutputGradients, TokenBatch } from '../engine/types.ts';
import { checkWeights, decays, elementCount, headNamesOf, parameterLayout } from '../engine/weights.ts';

/**
 * The native engine: the C++ addon of packages/native behind the compute interface. precision 'bf16' needs the
 * addon's bfloat16 kernels (binding.info().bf16); the caller resolves the fallback.
 */
export function nativeEngine(binding: NativeBinding, description: string, precision: Precision = 'fp32'): Engine {
  if (precision === 'bf16' && !binding.info().bf16) throw new Error(`native engine: bf16 asked for where ${binding.info().bf16Status}`);
  return {
    name: 'native',
    description,
    precision,
    createModel: (config, weights, extraHeads = []) => NativeModel.create(binding, config, weights, extraHeads, precision),
  };
}

interface Slot {
  offset: number;
  shape: number[];
}

interface PendingForward {
  batch: TokenBatch;
  request: ForwardRequest;
  acts: Float32Array;
}

/**
 * Every parameter lives in one packed Float32Array (the addon's layout, which is parameterLayout's order); so do
 * the gradients and the two AdamW moments. The addon works on these arrays in place. In bf16 the weight matrices
 * also have bfloat16 copies (`bf16Pack`), rewritten whenever the parameters change (creation, each step) and read
 * by every matrix product; the float32 parameters stay the master copy that AdamW updates and checkpoints save.
 */
class NativeModel implements Model {
  readonly engine = 'native' as const;
  private gradients: Float32Array | undefined;
  private firstMoment: Float32Array | undefined;
  private secondMoment: Float32Array | undefined;
  private pending: PendingForward | undefined;
  private trainActs: Float32Array | undefined;
  private inferenceActs: Float32Array | undefined;
  private stepCount = 0;

  get steps(): number {
    return this.stepCount;
  }
  private gradientsDirty = false;

  private constructor(
    private readonly binding: NativeBinding,
    readonly config: ModelConfig,
    readonly headNames: readonly string[],
    private readonly shape: NativeShape,
    private readonly slots: Map<string, Slot>,
    private readonly params: Float32Array,
    private readonly decayRanges: Int32Array,
    private readonly bf16Pack: Uint16Array | null,
  ) {
    this.refreshPack();
  }

  static create(
    binding: NativeBinding,
    config: ModelConfig,
    weights: ReadonlyMap<string, NamedTensor>,
    extraHeads: readonly string[],
    precision: Precision,
  ): NativeModel {
    const layout = parameterLayout(config, extraHeads);
    checkWeights(layout, weights);
    const headNames = headNamesOf(config, extraHeads);
    const shape: NativeShape = {
      vocabSize: config.vocabSize,
      contextLength: config.contextLength,
      layers: config.layers,
      dModel: config.dModel,
      heads: config.heads,
      mlpRatio: config.mlpRatio,
      scalarHeads: headNames.length,
    };
    const total = binding.parameterCount(shape);
    const slots = new Map<string, Slot>();
    const params = new Float32Array(total);
    const decay: number[] = [];
    let offset = 0;
    for (const [name, tensorShape] of layout) {
      const size = elementCount(tensorShape);
      slots.set(name, { offset, shape: tensorShape });
      params.set(weights.get(name)!.data, offset);
      if (decays(tensorShape)) decay.push(offset, offset + size);
      offset += size;
    }
    if (offset !== total)
      throw new Error(
        `native engine: the addon packs ${total} parameters where the layout has ${offset} (addon and model package out of step: rebuild with npm rebuild @goodhart/native)`,
      );
    const pack = precision === 'bf16' ? new Uint16Array(2 * binding.bf16PackWords(shape)) : null;
    return new NativeModel(binding, config, headNames, shape, slots, params, Int32Array.from(decay), pack);
  }

  /** Rewrites the bf16 copies of the weights from the float32 parameters (a no-op in fp32). */
  private refreshPack(): void {
    if (this.bf16Pack) this.binding.bf16Pack(this.shape, this.params, this.bf16Pack);
  }

  forward(batch: TokenBatch, request: ForwardRequest): ForwardResult {
    checkBatch(this.config, batch, request);
    const train = request.train === true;
    const acts = this.activations(batch.rows, batch.width, train);
    const cells = batch.rows * batch.width;
    const logProbs = request.targets ? new Float32Array(cells) : null;
    const perHead = request.heads === 'all' ? cells : batch.rows;
    const heads = request.heads && this.headNames.length > 0 ? new Float32Array(this.headNames.length * perHead) : null;
    this.binding.forward(
      this.shape,
      this.params,
      acts,
      batch.ids,
      batch.starts,
      batch.rows,
      batch.width,
      request.targets ?? null,
      logProbs,
      heads,
      headsAt(request),
      train,
      this.bf16Pack,
    );
    if (train) this.pending = { batch, request, acts };
    const result: ForwardResult = { heads: {} };
    if (logProbs) result.logProbs = logProbs;
    if (heads) this.headNames.forEach((name, h) => (result.heads[name] = heads.subarray(h * perHead, (h + 1) * perHead)));
    return result;
  }

  backward(gradients: OutputGradients): void {
    const pending = this.pending;
    if (!pending) throw new Error('backward() needs a forward with train: true first');
    const { batch, request, acts } = pending;
    checkOutputGradients(batch, request, this.headNames, gradients);
    const cells = batch.rows * batch.width;
    let dLogProbs: Float32Array | null = null;
    if (request.targets) dLogProbs = gradients.logProbs ?? new Float32Array(cells);
    let dHeads: Float32Array | null = null;
    if (request.heads && this.headNames.length > 0) {
      const perHead = request.heads === 'all' ? cells : batch.rows;
      dHeads = new Float32Array(this.headNames.length * perHead);
      this.headNames.forEach((name, h) => {
        const gradient = gradients.heads?.[name];
        if (gradient) dHeads!.set(gradient, h * perHead);
      });
    }
    this.gradients ??= new Float32Array(this.params.length);
    this.binding.backward(
      this.shape,
      this.params,
      this.gradients,
      acts,
      batch.ids,
      batch.starts,
      batch.rows,
      batch.width,
      request.targets ?? null,
      dLogProbs,
      dHeads,
      headsAt(request),
      this.bf16Pack,
    );
    this.gradientsDirty = true;
  }

  step(learningRate: number, options: AdamWOptions): { gradientNorm: number } {
    checkStepArguments(learningRate, options);
    this.gradients ??= new Float32Array(this.params.length);
    this.firstMoment ??= new Float32Array(this.params.length);
    this.secondMoment ??= new Float32Array(this.params.length);
    const gradientNorm = this.binding.gradNorm(this.gradients);
    const scale = clipScale(gradientNorm, options.gradientClip, this.stepCount + 1, () => this.zeroGradients());
    this.stepCount += 1;
    const { beta1, beta2, epsilon, weightDecay } = options;
    this.binding.adamw(
      this.params,
      this.gradients,
      this.firstMoment,
      this.secondMoment,
      this.decayRanges,
      this.stepCount,
      learningRate,
      beta1,
      beta2,
      epsilon,
      weightDecay,
      scale,
    );
    this.refreshPack();
    this.zeroGradients();
    return { gradientNorm };
  }

  zeroGradients(): void {
    if (this.gradients && this.gradientsDirty) this.gradients.fill(0);
    this.gradientsDirty = false;
  }

  prefill(batch: TokenBatch): DecodeSession {
    checkBatch(this.config, batch, {});
    const { binding, shape, params, bf16Pack } = this;
    const rows = batch.rows;
    const vocab = this.config.vocabSize;
    const cache = new Float32Array(binding.cacheSize(shape, rows));
    // One scratch for prefill and every decode step: the addon sizes inference scratch for attention over the whole
    // context, so a prefill's size also covers each later single-token step.
    const acts = new Float32Array(binding.activationSize(shape, rows, batch.width, false));
    const starts = Int32Array.from(batch.starts);
    let logits = new Float32Array(rows * vocab);
    binding.prefill(shape, params, cache, acts, batch.ids, starts, rows, batch.width, logits, bf16Pack);
    let length = batch.width;
    let open = true;
    const contextLength = this.config.contextLength;
    return {
      rows,
      get logits() {
        return logits;
      },
      step: (tokens: Int32Array) => {
        if (!open) throw new Error('this decode session was disposed');
        if (!(tokens instanceof Int32Array) || tokens.length !== rows) throw new RangeError(`tokens: expected an Int32Array of ${rows} ids (one per row)`);
        if (length >= contextLength) throw new RangeError(`sampling past the context length ${contextLength}`);
        tokens.forEach((token, row) => {
          if (token < 0 || token >= vocab) throw new RangeError(`tokens: row ${row} has id ${token}, outside the vocabulary [0, ${vocab})`);
        });
        logits = new Float32Array(rows * vocab);
        binding.decode(shape, params, cache, acts, tokens, starts, rows, length, logits, bf16Pack);
        length += 1;
        return logits;
      },
      draw: (uniforms: Float64Array, temperature: number) => {
        if (!open) throw new Error('this decode session was disposed');
        const tokens = new Int32Array(rows);
        const logProbs = new Float32Array(rows);
        binding.draw(logits, rows, vocab, temperature, uniforms, tokens, logProbs);
        return { tokens, logProbs };
      },
      dispose: () => {
        open = false;
      },
    };
  }

  scoreResponses(prompt: readonly number[], responses: readonly (readonly number[])[]): Record<string, Float32Array> {
    const rows = responses.length;
    const width = responses.reduce((m, r) => Math.max(m, r.length), 0);
    if (rows === 0) throw new RangeError('scoreResponses: no responses');
    if (prompt.length < 1 || prompt.length + width > this.config.contextLength)
      throw new RangeError(`scoreResponses: prompt (${prompt.length}) + longest response (${width}) must be in [2, ${this.config.contextLength}]`);
    const ids = new Int32Array(rows * width);
    const lengths = new Int32Array(rows);
    responses.forEach((response, b) => {
      if (response.length === 0) throw new RangeError(`scoreResponses: response ${b} is empty`);
      ids.set(response, b * width);
      lengths[b] = response.length;
    });
    const heads = new Float32Array(this.headNames.length * rows);
    const acts = this.activations(rows, width, false);
    this.binding.scoreResponses(this.shape, this.params, acts, Int32Array.from(prompt), ids, lengths, rows, width, heads, this.bf16Pack);
    const out: Record<string, Float32Array> = {};
    this.headNames.forEach((name, h) => (out[name] = heads.subarray(h * rows, (h + 1) * rows)));
    return out;
  }

  weights(): Map<string, NamedTensor> {
    return this.unpack(this.params, '');
  }

  optimizerState(): { tensors: Map<string, NamedTensor>; steps: number } {
    const size = this.params.length;
    const first = this.firstMoment ?? new Float32Array(size);
    const second = this.secondMoment ?? new Float32Array(size);
    return { tensors: new Map([...this.unpack(first, 'm/'), ...this.unpack(second, 'v/')]), steps: this.stepCount };
  }

  loadOptimizerState(tensors: ReadonlyMap<string, NamedTensor>, steps: number): void {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`optimizer step count must be a non-negative integer, got ${steps}`);
    const expected = new Map<string, number[]>();
    for (const prefix of ['m/', 'v/']) for (const [name, { shape }] of this.slots) expected.set(`${prefix}${name}`, shape);
    checkWeights(expected, tensors);
    const first = new Float32Array(this.params.length);
    const second = new Float32Array(this.params.length);
    for (const [name, { offset }] of this.slots) {
      first.set(tensors.get(`m/${name}`)!.data, offset);
      second.set(tensors.get(`v/${name}`)!.data, offset);
    }
    this.firstMoment = first;
    this.secondMoment = second;
    this.stepCount = steps;
  }

  dispose(): void {
    this.pending = undefined;
    this.trainActs = undefined;
    this.inferenceActs = undefined;
  }

  private unpack(packed: Float32Array, prefix: string): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, { offset, shape }] of this.slots)
      out.set(`${prefix}${name}`, { shape: [...shape], data: packed.slice(offset, offset + elementCount(shape)) });
    return out;
  }

  /** Activation scratch, grown as needed and reused across calls (a train forward's stays valid for backward). */
  private activations(rows: number, width: number, train: boolean): Float32Array {
    const size = this.binding.activationSize(this.shape, rows, width, train);
    if (train) {
      if (!this.trainActs || this.trainActs.length < size) this.trainActs = new Float32Array(size);
      return this.trainActs;
    }
    if (!this.inferenceActs || this.inferenceActs.length < size) this.inferenceActs = new Float32Array(size);
    return this.inferenceActs;
  }
}

function headsAt(request: ForwardRequest): HeadsAt {
  return request.heads === 'last' ? 1 : 0;
}
