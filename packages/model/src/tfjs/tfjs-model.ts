import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model-config.ts';
import { checkBatch, checkOutputGradients, checkStepArguments, clipScale } from '../engine/checks.ts';
import type { AdamWOptions, DecodeSession, Engine, ForwardRequest, ForwardResult, Model, NamedTensor, OutputGradients, TokenBatch } from '../engine/types.ts';
import { checkWeights, decays, headNamesOf, parameterLayout, parameterShapes } from '../engine/weights.ts';
import { matMul2d, targetLogProbs } from './ops.ts';
import { disposeCache, Transformer } from './transformer.ts';

/** The tfjs engine: today's TensorFlow.js transformer behind the compute interface, the reference implementation. */
export function tfjsEngine(description: string): Engine {
  return {
    name: 'tfjs',
    description,
    precision: 'fp32',
    createModel: (config, weights, extraHeads = []) => TfjsModel.create(config, weights, extraHeads),
  };
}

interface PendingForward {
  batch: TokenBatch;
  request: ForwardRequest;
}

/**
 * Backward recomputes the forward inside tfjs's gradient tape with the surrogate Σ output·d(loss)/d(output), whose
 * parameter gradient is the loss's: the forward that returned plain arrays kept no tape. It costs one extra
 * forward per step, acceptable for the reference engine.
 */
class TfjsModel implements Model {
  readonly engine = 'tfjs' as const;
  private readonly variables: Map<string, tf.Variable>;
  private readonly firstMoment = new Map<string, tf.Variable>();
  private readonly secondMoment = new Map<string, tf.Variable>();
  private gradients = new Map<string, tf.Tensor>();
  private pending: PendingForward | undefined;
  private stepCount = 0;

  get steps(): number {
    return this.stepCount;
  }

  private constructor(
    readonly config: ModelConfig,
    readonly headNames: readonly string[],
    private readonly transformer: Transformer,
    heads: Map<string, tf.Variable>,
  ) {
    this.variables = new Map([...transformer.params, ...heads]);
  }

  static create(config: ModelConfig, weights: ReadonlyMap<string, NamedTensor>, extraHeads: readonly string[]): TfjsModel {
    const layout = parameterLayout(config, extraHeads);
    checkWeights(layout, weights);
    const core = new Map<string, tf.Tensor>();
    for (const name of parameterShapes(config).keys()) {
      const { shape, data } = weights.get(name)!;
      core.set(name, tf.tensor(Float32Array.from(data), shape));
    }
    const transformer = Transformer.fromTensors(config, core);
    const heads = new Map<string, tf.Variable>();
    for (const head of extraHeads) {
      for (const name of [`${head}.w`, `${head}.b`]) {
        const { shape, data } = weights.get(name)!;
        heads.set(
          name,
          tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(data), shape), true, `${name}#${nextHeadId++}`)),
        );
      }
    }
    return new TfjsModel(config, headNamesOf(config, extraHeads), transformer, heads);
  }

  forward(batch: TokenBatch, request: ForwardRequest): ForwardResult {
    checkBatch(this.config, batch, request);
    const tensors = tf.tidy(() => this.outputs(batch, request));
    const result: ForwardResult = { heads: {} };
    if (tensors.logProbs) result.logProbs = Float32Array.from(tensors.logProbs.dataSync() as Float32Array);
    for (const [name, tensor] of Object.entries(tensors.heads)) result.heads[name] = Float32Array.from(tensor.dataSync() as Float32Array);
    tensors.logProbs?.dispose();
    for (const tensor of Object.values(tensors.heads)) tensor.dispose();
    if (request.train) this.pending = { batch, request };
    return result;
  }

  backward(gradients: OutputGradients): void {
    const pending = this.pending;
    if (!pending) throw new Error('backward() needs a forward with train: true first');
    checkOutputGradients(pending.batch, pending.request, this.headNames, gradients);
    const variables = [...this.variables.values()];
    const names = new Map([...this.variables].map(([name, variable]) => [variable.name, name]));
    const { value, grads } = tf.variableGrads(() => {
      const out = this.outputs(pending.batch, pending.request);
      const terms: tf.Scalar[] = [tf.scalar(0)];
      if (out.logProbs && gradients.logProbs) terms.push(tf.sum(tf.mul(out.logProbs, tf.tensor1d(gradients.logProbs))));
      for (const [name, tensor] of Object.entries(out.heads)) {
        const gradient = gradients.heads?.[name];
        if (gradient) terms.push(tf.sum(tf.mul(tensor, tf.tensor1d(gradient))));
      }
      return tf.addN(terms) as tf.Scalar;
    }, variables);
    value.dispose();
    for (const [variableName, gradient] of Object.entries(grads)) {
      const name = names.get(variableName)!;
      const previous = this.gradients.get(name);
      if (previous) {
        this.gradients.set(name, tf.add(previous, gradient));
        previous.dispose();
        gradient.dispose();
      } else {
        this.gradients.set(name, gradient);
      }
    }
  }

  step(learningRate: number, options: AdamWOptions): { gradientNorm: number } {
    checkStepArguments(learningRate, options);
    const gradientNorm = tf.tidy(() => {
      const squares = [...this.gradients.values()].map((g) => tf.sum(tf.square(g)));
      return squares.length === 0 ? 0 : Math.sqrt((tf.addN(squares).dataSync() as Float32Array)[0]);
    });
    const scale = clipScale(gradientNorm, options.gradientClip, this.stepCount + 1, () => this.zeroGradients());
    this.stepCount += 1;
    const { beta1, beta2, epsilon, weightDecay } = options;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const { m, v } = this.moments(name, variable.shape);
        const grad = this.gradients.get(name) ?? tf.zerosLike(variable);
        const g = scale === 1 ? grad : tf.mul(grad, scale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        let next = tf.sub(variable, tf.mul(update, learningRate));
        if (weightDecay > 0 && decays(variable.shape)) next = tf.sub(next, tf.mul(variable, learningRate * weightDecay));
        variable.assign(next);
      }
    });
    this.zeroGradients();
    return { gradientNorm };
  }

  zeroGradients(): void {
    for (const gradient of this.gradients.values()) gradient.dispose();
    this.gradients = new Map();
  }

  prefill(batch: TokenBatch): DecodeSession {
    checkBatch(this.config, batch, {});
    const ids = tf.tensor2d(batch.ids, [batch.rows, batch.width], 'int32');
    const { cache, logits: first } = this.transformer.prefill(ids, batch.starts);
    ids.dispose();
    const read = (tensor: tf.Tensor2D): Float32Array => {
      const values = Float32Array.from(tensor.dataSync() as Float32Array);
      tensor.dispose();
      return values;
    };
    const vocab = this.config.vocabSize;
    let logits = read(first);
    let open = true;
    return {
      rows: batch.rows,
      get logits() {
        return logits;
      },
      step: (tokens: Int32Array) => {
        if (!open) throw new Error('this decode session was disposed');
        if (!(tokens instanceof Int32Array) || tokens.length !== batch.rows)
          throw new RangeError(`tokens: expected an Int32Array of ${batch.rows} ids (one per row)`);
        tokens.forEach((token, row) => {
          if (!Number.isInteger(token) || token < 0 || token >= vocab)
            throw new RangeError(`tokens: row ${row} has id ${token}, outside the vocabulary [0, ${vocab})`);
        });
        logits = read(this.transformer.decodeStep(cache, tokens));
        return logits;
      },
      dispose: () => {
        if (open) disposeCache(cache);
        open = false;
      },
    };
  }

  weights(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, variable] of this.variables) out.set(name, { shape: [...variable.shape], data: Float32Array.from(variable.dataSync() as Float32Array) });
    return out;
  }

  optimizerState(): { tensors: Map<string, NamedTensor>; steps: number } {
    const tensors = new Map<string, NamedTensor>();
    for (const [prefix, moments] of [
      ['m', this.firstMoment],
      ['v', this.secondMoment],
    ] as const) {
      for (const [name, variable] of this.variables) {
        const moment = moments.get(name);
        const data = moment ? Float32Array.from(moment.dataSync() as Float32Array) : new Float32Array(variable.size);
        tensors.set(`${prefix}/${name}`, { shape: [...variable.shape], data });
      }
    }
    return { tensors, steps: this.stepCount };
  }

  loadOptimizerState(tensors: ReadonlyMap<string, NamedTensor>, steps: number): void {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`optimizer step count must be a non-negative integer, got ${steps}`);
    const expected = new Map<string, number[]>();
    for (const [name, variable] of this.variables) for (const prefix of ['m', 'v']) expected.set(`${prefix}/${name}`, variable.shape);
    checkWeights(expected, tensors);
    tf.tidy(() => {
      for (const [name, variable] of this.variables) {
        const { m, v } = this.moments(name, variable.shape);
        m.assign(tf.tensor(tensors.get(`m/${name}`)!.data, variable.shape));
        v.assign(tf.tensor(tensors.get(`v/${name}`)!.data, variable.shape));
      }
    });
    this.stepCount = steps;
  }

  dispose(): void {
    this.zeroGradients();
    for (const variable of [...this.variables.values(), ...this.firstMoment.values(), ...this.secondMoment.values()]) variable.dispose();
  }

  private moments(name: string, shape: number[]): { m: tf.Variable; v: tf.Variable } {
    let m = this.firstMoment.get(name);
    let v = this.secondMoment.get(name);
    if (!m || !v) {
      // tf.variable keeps the initial tensor alive: create both inside a tidy so it is released.
      m = tf.tidy(() => tf.variable(tf.zeros(shape), false));
      v = tf.tidy(() => tf.variable(tf.zeros(shape), false));
      this.firstMoment.set(name, m);
      this.secondMoment.set(name, v);
    }
    return { m, v };
  }

  /** The requested outputs as tensors (call inside tf.tidy or a gradient tape). */
  private outputs(batch: TokenBatch, request: ForwardRequest): { logProbs?: tf.Tensor1D; heads: Record<string, tf.Tensor1D> } {
    const ids = tf.tensor2d(batch.ids, [batch.rows, batch.width], 'int32');
    const hidden = this.transformer.hidden(ids, batch.starts);
    const out: { logProbs?: tf.Tensor1D; heads: Record<string, tf.Tensor1D> } = { heads: {} };
    if (request.targets) {
      const oneHot = tf.oneHot(tf.tensor1d(request.targets, 'int32'), this.config.vocabSize).toFloat() as tf.Tensor2D;
      out.logProbs = targetLogProbs(this.transformer.logits(hidden), oneHot);
    }
    if (request.heads) {
      const read = request.heads === 'last' ? lastColumns(hidden, batch) : hidden;
      for (const head of this.headNames) {
        const weight = this.variables.get(`${head}.w`) as tf.Variable<tf.Rank.R2>;
        const bias = this.variables.get(`${head}.b`)!;
        out.heads[head] = tf.reshape(tf.add(matMul2d(read, weight), bias), [-1]);
      }
    }
    return out;
  }
}

function lastColumns(hidden: tf.Tensor2D, batch: TokenBatch): tf.Tensor2D {
  const rows = Int32Array.from({ length: batch.rows }, (_, b) => b * batch.width + batch.width - 1);
  return tf.gather(hidden, tf.tensor1d(rows, 'int32'));
}

let nextHeadId = 0;
