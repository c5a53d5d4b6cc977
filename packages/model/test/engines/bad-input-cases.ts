/**
 * Bad arguments for the raw native binding (no TypeScript checks in front: the addon's C++ validation is what runs).
 * Shared by bad-input.test.ts (in process) and bad-input-child.ts (in a child process, to prove no case kills the
 * process). Each case replaces arguments of an otherwise valid call and names the argument the error must name:
 * binding.cc promises a TypeError/RangeError whose message starts with the argument's name.
 */
import type { NativeBinding, NativeShape } from '@goodhart/native';

type RawFunction = 'forward' | 'backward' | 'prefill' | 'decode' | 'draw' | 'adamw' | 'sgemm' | 'gradNorm' | 'setThreads' | 'activationSize';

const SIGNATURES: Record<RawFunction, readonly string[]> = {
  forward: ['shape', 'params', 'acts', 'ids', 'starts', 'batch', 'time', 'targets', 'logProbs', 'heads', 'headsAt', 'train'],
  backward: ['shape', 'params', 'grads', 'acts', 'ids', 'starts', 'batch', 'time', 'targets', 'dLogProbs', 'dHeads', 'headsAt'],
  prefill: ['shape', 'params', 'cache', 'acts', 'ids', 'starts', 'batch', 'time', 'logits'],
  decode: ['shape', 'params', 'cache', 'acts', 'tokens', 'starts', 'batch', 'length', 'logits'],
  draw: ['logits', 'rows', 'vocab', 'temperature', 'uniforms', 'tokens', 'logProbs'],
  adamw: ['params', 'grads', 'm', 'v', 'decayRanges', 'step', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'gradScale'],
  sgemm: ['m', 'n', 'k', 'a', 'transA', 'b', 'transB', 'c', 'accumulate'],
  gradNorm: ['grads'],
  setThreads: ['threads'],
  activationSize: ['shape', 'batch', 'time', 'train'],
};

export interface RawCase {
  title: string;
  fn: RawFunction;
  /** Replacements for named arguments of the valid call (built fresh per run from the setup). */
  overrides: (setup: RawSetup) => Record<string, unknown>;
  /** The argument the message must start with, and the rest of the expected message. */
  argument: string;
  message?: RegExp;
  /** Call with only the first n arguments (missing ones are undefined). */
  truncate?: number;
}

/** Valid arguments for every raw function on a tiny model with 2 scalar heads (B = 2 rows of T = 6, rows start at 0 and 2). */
export interface RawSetup {
  shape: NativeShape;
  valid: Record<RawFunction, Record<string, unknown>>;
  /** The log-probs and heads of the valid forward, computed before any bad call. */
  logProbs: Float32Array;
  heads: Float32Array;
}

export const SHAPE: NativeShape = { vocabSize: 50, contextLength: 16, layers: 2, dModel: 32, heads: 4, mlpRatio: 4, scalarHeads: 2 };
const B = 2;
const T = 6;

export function rawSetup(binding: NativeBinding): RawSetup {
  const shape = { ...SHAPE };
  const count = binding.parameterCount(shape);
  let state = 12345;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const params = Float32Array.from({ length: count }, () => (random() - 0.5) * 0.1);
  // gains near 1 so the activations are ordinary
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(random() * shape.vocabSize));
  const targets = Int32Array.from({ length: B * T }, () => Math.floor(random() * shape.vocabSize));
  const starts = Int32Array.from([0, 2]);
  const acts = new Float32Array(binding.activationSize(shape, B, T, true));
  const logProbs = new Float32Array(B * T);
  const heads = new Float32Array(shape.scalarHeads * B * T);
  binding.forward(shape, params, acts, ids, starts, B, T, targets, logProbs, heads, 0, true);
  const cache = new Float32Array(binding.cacheSize(shape, B));
  const decodeActs = new Float32Array(binding.activationSize(shape, B, shape.contextLength, false));
  const logits = new Float32Array(B * shape.vocabSize);
  binding.prefill(shape, params, cache, decodeActs, ids, starts, B, T, logits);
  const m = 8;
  const n = 5;
  const k = 7;
  return {
    shape,
    logProbs: Float32Array.from(logProbs),
    heads: Float32Array.from(heads),
    valid: {
      forward: { shape, params, acts, ids, starts, batch: B, time: T, targets, logProbs, heads, headsAt: 0, train: true },
      backward: {
        shape,
        params,
        grads: new Float32Array(count),
        acts,
        ids,
        starts,
        batch: B,
        time: T,
        targets,
        dLogProbs: new Float32Array(B * T).fill(0.1),
        dHeads: new Float32Array(shape.scalarHeads * B * T).fill(0.1),
        headsAt: 0,
      },
      prefill: { shape, params, cache, acts: decodeActs, ids, starts, batch: B, time: T, logits },
      decode: { shape, params, cache, acts: decodeActs, tokens: Int32Array.from([1, 2]), starts, batch: B, length: T, logits },
      draw: {
        logits: Float32Array.from(logits),
        rows: B,
        vocab: shape.vocabSize,
        temperature: 1,
        uniforms: Float64Array.from([0.25, 0.75]),
        tokens: new Int32Array(B),
        logProbs: new Float32Array(B),
      },
      adamw: {
        params: Float32Array.from(params),
        grads: new Float32Array(count),
        m: new Float32Array(count),
        v: new Float32Array(count),
        decayRanges: Int32Array.from([0, 10, 20, 30]),
        step: 1,
        learningRate: 1e-3,
        beta1: 0.9,
        beta2: 0.95,
        epsilon: 1e-8,
        weightDecay: 0.1,
        gradScale: 1,
      },
      sgemm: { m, n, k, a: new Float32Array(m * k), transA: false, b: new Float32Array(k * n), transB: false, c: new Float32Array(m * n), accumulate: false },
      gradNorm: { grads: new Float32Array(10) },
      setThreads: { threads: 1 },
      activationSize: { shape, batch: B, time: T, train: true },
    },
  };
}

function replaced<A extends Int32Array | Float32Array>(array: A, index: number, value: number): A {
  const copy = array.slice() as A;
  copy[index] = value;
  return copy;
}

const i32 = (s: RawSetup, fn: RawFunction, name: string): Int32Array => s.valid[fn][name] as Int32Array;
const f32 = (s: RawSetup, fn: RawFunction, name: string): Float32Array => s.valid[fn][name] as Float32Array;

export const rawCases: RawCase[] = [
  // wrong shapes
  { title: 'forward: shape is null', fn: 'forward', overrides: () => ({ shape: null }), argument: 'shape' },
  { title: 'forward: shape.heads does not divide dModel', fn: 'forward', overrides: (s) => ({ shape: { ...s.shape, heads: 5 } }), argument: 'shape.heads' },
  {
    title: 'forward: shape.vocabSize missing',
    fn: 'forward',
    overrides: (s) => ({ shape: { ...s.shape, vocabSize: undefined } }),
    argument: 'shape.vocabSize',
  },
  { title: 'forward: no arguments at all', fn: 'forward', overrides: () => ({}), truncate: 0, argument: 'shape' },
  {
    title: 'forward: params one float short',
    fn: 'forward',
    overrides: (s) => ({ params: f32(s, 'forward', 'params').subarray(1) }),
    argument: 'params',
    message: /length must be/,
  },
  { title: 'forward: acts too short', fn: 'forward', overrides: () => ({ acts: new Float32Array(100) }), argument: 'acts', message: /at least/ },
  {
    title: 'forward: ids one id short (not batch·time)',
    fn: 'forward',
    overrides: (s) => ({ ids: i32(s, 'forward', 'ids').subarray(1) }),
    argument: 'ids',
    message: /length must be 12/,
  },
  { title: 'forward: logProbs of the wrong length', fn: 'forward', overrides: () => ({ logProbs: new Float32Array(B * T + 1) }), argument: 'logProbs' },
  { title: 'forward: logProbs null although targets are given', fn: 'forward', overrides: () => ({ logProbs: null }), argument: 'logProbs' },
  { title: 'forward: heads sized for one head instead of two', fn: 'forward', overrides: () => ({ heads: new Float32Array(B * T) }), argument: 'heads' },
  { title: 'forward: headsAt 2', fn: 'forward', overrides: () => ({ headsAt: 2 }), argument: 'headsAt' },
  { title: 'forward: batch 0', fn: 'forward', overrides: () => ({ batch: 0 }), argument: 'batch' },
  { title: 'forward: train is a number', fn: 'forward', overrides: () => ({ train: 1 }), argument: 'train' },
  {
    title: 'forward: logProbs shares memory with acts',
    fn: 'forward',
    overrides: (s) => ({ logProbs: f32(s, 'forward', 'acts').subarray(0, B * T) }),
    argument: 'acts',
    message: /shares memory with logProbs/,
  },
  {
    title: 'backward: grads one float short',
    fn: 'backward',
    overrides: (s) => ({ grads: new Float32Array(f32(s, 'backward', 'grads').length - 1) }),
    argument: 'grads',
  },
  { title: 'backward: dLogProbs of the wrong length', fn: 'backward', overrides: () => ({ dLogProbs: new Float32Array(3) }), argument: 'dLogProbs' },
  { title: 'backward: dLogProbs without targets', fn: 'backward', overrides: () => ({ targets: null }), argument: 'dLogProbs' },
  { title: 'backward: dHeads of the wrong length', fn: 'backward', overrides: () => ({ dHeads: new Float32Array(1) }), argument: 'dHeads' },
  {
    title: 'backward: acts that hold no train forward',
    fn: 'backward',
    overrides: (s) => ({ acts: new Float32Array(f32(s, 'backward', 'acts').length) }),
    argument: 'acts',
    message: /does not hold a train forward/,
  },
  {
    title: 'backward: a different time than the forward',
    fn: 'backward',
    overrides: (s) => ({
      time: 3,
      ids: i32(s, 'backward', 'ids').subarray(0, 6),
      targets: i32(s, 'backward', 'targets').subarray(0, 6),
      dLogProbs: new Float32Array(6),
      dHeads: new Float32Array(12),
    }),
    argument: 'acts',
    message: /does not hold a train forward/,
  },
  { title: 'prefill: cache too short', fn: 'prefill', overrides: () => ({ cache: new Float32Array(10) }), argument: 'cache' },
  { title: 'prefill: logits one row short', fn: 'prefill', overrides: () => ({ logits: new Float32Array(SHAPE.vocabSize) }), argument: 'logits' },
  { title: 'sgemm: a too short', fn: 'sgemm', overrides: () => ({ a: new Float32Array(8 * 7 - 1) }), argument: 'a', message: /length must be 56/ },
  { title: 'sgemm: b too short', fn: 'sgemm', overrides: () => ({ b: new Float32Array(1) }), argument: 'b', message: /length must be 35/ },
  { title: 'sgemm: c too short', fn: 'sgemm', overrides: () => ({ c: new Float32Array(0) }), argument: 'c', message: /length must be 40/ },
  { title: 'sgemm: m = 0', fn: 'sgemm', overrides: () => ({ m: 0 }), argument: 'm' },
  { title: 'sgemm: k is a string', fn: 'sgemm', overrides: () => ({ k: '7' }), argument: 'k' },
  // wrong typed-array types
  {
    title: 'forward: params is a Float64Array',
    fn: 'forward',
    overrides: (s) => ({ params: Float64Array.from(f32(s, 'forward', 'params')) }),
    argument: 'params',
    message: /Float32Array/,
  },
  {
    title: 'forward: ids is a Float32Array',
    fn: 'forward',
    overrides: (s) => ({ ids: Float32Array.from(i32(s, 'forward', 'ids')) }),
    argument: 'ids',
    message: /Int32Array/,
  },
  { title: 'forward: ids is a plain array', fn: 'forward', overrides: (s) => ({ ids: Array.from(i32(s, 'forward', 'ids')) }), argument: 'ids' },
  { title: 'forward: starts is a Uint32Array', fn: 'forward', overrides: () => ({ starts: Uint32Array.from([0, 2]) }), argument: 'starts' },
  { title: 'forward: targets is a BigInt64Array', fn: 'forward', overrides: () => ({ targets: new BigInt64Array(B * T) }), argument: 'targets' },
  { title: 'decode: tokens is a Float32Array', fn: 'decode', overrides: () => ({ tokens: Float32Array.from([1, 2]) }), argument: 'tokens' },
  { title: 'adamw: decayRanges is a Float32Array', fn: 'adamw', overrides: () => ({ decayRanges: Float32Array.from([0, 10]) }), argument: 'decayRanges' },
  { title: 'sgemm: a is a Float64Array', fn: 'sgemm', overrides: () => ({ a: new Float64Array(56) }), argument: 'a' },
  { title: 'gradNorm: grads is an Int32Array', fn: 'gradNorm', overrides: () => ({ grads: new Int32Array(10) }), argument: 'grads' },
  // wrong lengths
  {
    title: 'forward: starts holds 3 values for 2 rows',
    fn: 'forward',
    overrides: () => ({ starts: Int32Array.from([0, 2, 0]) }),
    argument: 'starts',
    message: /length must be 2/,
  },
  { title: 'forward: targets one id short', fn: 'forward', overrides: (s) => ({ targets: i32(s, 'forward', 'targets').subarray(1) }), argument: 'targets' },
  { title: 'decode: tokens holds 3 ids for 2 rows', fn: 'decode', overrides: () => ({ tokens: Int32Array.from([1, 2, 3]) }), argument: 'tokens' },
  { title: 'adamw: m one float short', fn: 'adamw', overrides: (s) => ({ m: new Float32Array(f32(s, 'adamw', 'params').length - 1) }), argument: 'm' },
  // token ids outside the vocabulary
  {
    title: 'forward: an id = vocabSize',
    fn: 'forward',
    overrides: (s) => ({ ids: replaced(i32(s, 'forward', 'ids'), 3, 50) }),
    argument: 'ids',
    message: /^ids\[3\] = 50 is out of range \[0, 49\]/,
  },
  {
    title: 'forward: a negative id',
    fn: 'forward',
    overrides: (s) => ({ ids: replaced(i32(s, 'forward', 'ids'), 11, -1) }),
    argument: 'ids',
    message: /^ids\[11\] = -1/,
  },
  {
    title: 'forward: a target = vocabSize',
    fn: 'forward',
    overrides: (s) => ({ targets: replaced(i32(s, 'forward', 'targets'), 0, 50) }),
    argument: 'targets',
    message: /^targets\[0\] = 50/,
  },
  {
    title: 'forward: a huge negative target',
    fn: 'forward',
    overrides: (s) => ({ targets: replaced(i32(s, 'forward', 'targets'), 5, -2147483648) }),
    argument: 'targets',
  },
  { title: 'backward: an id = vocabSize', fn: 'backward', overrides: (s) => ({ ids: replaced(i32(s, 'backward', 'ids'), 0, 50) }), argument: 'ids' },
  { title: 'prefill: an id = vocabSize', fn: 'prefill', overrides: (s) => ({ ids: replaced(i32(s, 'prefill', 'ids'), 0, 50) }), argument: 'ids' },
  {
    title: 'decode: a token = vocabSize',
    fn: 'decode',
    overrides: () => ({ tokens: Int32Array.from([1, 50]) }),
    argument: 'tokens',
    message: /^tokens\[1\] = 50/,
  },
  {
    title: 'decode: a negative token',
    fn: 'decode',
    overrides: () => ({ tokens: Int32Array.from([-1, 2]) }),
    argument: 'tokens',
    message: /^tokens\[0\] = -1/,
  },
  // past the context length
  {
    title: 'forward: time = contextLength + 1 (batch wider than the context)',
    fn: 'forward',
    overrides: () => ({ time: 17, ids: new Int32Array(34), targets: new Int32Array(34), logProbs: new Float32Array(34), heads: new Float32Array(68) }),
    argument: 'time',
    message: /\[1, 16\]/,
  },
  { title: 'prefill: time = contextLength + 1', fn: 'prefill', overrides: () => ({ time: 17, ids: new Int32Array(34) }), argument: 'time' },
  { title: 'activationSize: time = contextLength + 1', fn: 'activationSize', overrides: () => ({ time: 17 }), argument: 'time' },
  {
    title: 'decode: length = contextLength (decoding past the context)',
    fn: 'decode',
    overrides: () => ({ length: 16 }),
    argument: 'length',
    message: /\[1, 15\]/,
  },
  // starts out of range
  {
    title: 'forward: a start = time',
    fn: 'forward',
    overrides: () => ({ starts: Int32Array.from([0, 6]) }),
    argument: 'starts',
    message: /^starts\[1\] = 6 is out of range \[0, 5\]/,
  },
  { title: 'forward: a negative start', fn: 'forward', overrides: () => ({ starts: Int32Array.from([-1, 0]) }), argument: 'starts' },
  { title: 'prefill: a start = time', fn: 'prefill', overrides: () => ({ starts: Int32Array.from([6, 0]) }), argument: 'starts' },
  { title: 'decode: a start past the cached length', fn: 'decode', overrides: () => ({ starts: Int32Array.from([0, 6]) }), argument: 'starts' },
  // NaN weights
  {
    title: 'forward: a NaN in params',
    fn: 'forward',
    overrides: (s) => ({ params: replaced(f32(s, 'forward', 'params'), 1234, NaN) }),
    argument: 'params',
    message: /^params: non-finite value NaN at index 1234/,
  },
  {
    title: 'forward: an Infinity in params',
    fn: 'forward',
    overrides: (s) => ({ params: replaced(f32(s, 'forward', 'params'), f32(s, 'forward', 'params').length - 1, Infinity) }),
    argument: 'params',
    message: /non-finite/,
  },
  {
    title: 'prefill: a NaN in params',
    fn: 'prefill',
    overrides: (s) => ({ params: replaced(f32(s, 'prefill', 'params'), 0, NaN) }),
    argument: 'params',
    message: /non-finite/,
  },
  // bad decode lengths
  { title: 'decode: length 0', fn: 'decode', overrides: () => ({ length: 0 }), argument: 'length' },
  { title: 'decode: length 2.5', fn: 'decode', overrides: () => ({ length: 2.5 }), argument: 'length' },
  { title: 'decode: length NaN', fn: 'decode', overrides: () => ({ length: NaN }), argument: 'length' },
  { title: 'decode: length -3', fn: 'decode', overrides: () => ({ length: -3 }), argument: 'length' },
  { title: 'decode: length is a string', fn: 'decode', overrides: () => ({ length: '6' }), argument: 'length' },
  // bad AdamW decay ranges (and scalars)
  {
    title: 'adamw: decayRanges of odd length',
    fn: 'adamw',
    overrides: () => ({ decayRanges: Int32Array.from([0, 10, 20]) }),
    argument: 'decayRanges',
    message: /even/,
  },
  { title: 'adamw: decayRanges not sorted', fn: 'adamw', overrides: () => ({ decayRanges: Int32Array.from([20, 30, 0, 10]) }), argument: 'decayRanges' },
  { title: 'adamw: a decay range with start > end', fn: 'adamw', overrides: () => ({ decayRanges: Int32Array.from([10, 5]) }), argument: 'decayRanges' },
  {
    title: 'adamw: a decay range past the end of params',
    fn: 'adamw',
    overrides: (s) => ({ decayRanges: Int32Array.from([0, f32(s, 'adamw', 'params').length + 1]) }),
    argument: 'decayRanges',
  },
  { title: 'adamw: a negative decay range start', fn: 'adamw', overrides: () => ({ decayRanges: Int32Array.from([-8, 4]) }), argument: 'decayRanges' },
  { title: 'adamw: beta1 = 1', fn: 'adamw', overrides: () => ({ beta1: 1 }), argument: 'beta1' },
  { title: 'adamw: learningRate NaN', fn: 'adamw', overrides: () => ({ learningRate: NaN }), argument: 'learningRate' },
  { title: 'adamw: step 0', fn: 'adamw', overrides: () => ({ step: 0 }), argument: 'step' },
  { title: 'adamw: m shares memory with v', fn: 'adamw', overrides: (s) => ({ v: f32(s, 'adamw', 'm') }), argument: 'm', message: /shares memory with v/ },
  // the token draw (sample()'s native fast path)
  {
    title: 'draw: logits one row short',
    fn: 'draw',
    overrides: () => ({ logits: new Float32Array(SHAPE.vocabSize) }),
    argument: 'logits',
    message: /length must be 100/,
  },
  {
    title: 'draw: uniforms is a Float32Array',
    fn: 'draw',
    overrides: () => ({ uniforms: Float32Array.from([0.25, 0.75]) }),
    argument: 'uniforms',
    message: /Float64Array/,
  },
  { title: 'draw: uniforms holds 1 value for 2 rows', fn: 'draw', overrides: () => ({ uniforms: Float64Array.from([0.5]) }), argument: 'uniforms' },
  {
    title: 'draw: a uniform = 1',
    fn: 'draw',
    overrides: () => ({ uniforms: Float64Array.from([0.5, 1]) }),
    argument: 'uniforms',
    message: /^uniforms\[1\] = 1 is outside \[0, 1\)/,
  },
  { title: 'draw: a NaN uniform', fn: 'draw', overrides: () => ({ uniforms: Float64Array.from([NaN, 0.5]) }), argument: 'uniforms' },
  { title: 'draw: a negative uniform', fn: 'draw', overrides: () => ({ uniforms: Float64Array.from([0.5, -0.1]) }), argument: 'uniforms' },
  { title: 'draw: temperature 0', fn: 'draw', overrides: () => ({ temperature: 0 }), argument: 'temperature' },
  { title: 'draw: temperature NaN', fn: 'draw', overrides: () => ({ temperature: NaN }), argument: 'temperature' },
  {
    title: 'draw: a NaN logit',
    fn: 'draw',
    overrides: (s) => ({ logits: replaced(f32(s, 'draw', 'logits'), 60, NaN) }),
    argument: 'logits',
    message: /row 1 is not finite/,
  },
  {
    title: 'draw: an infinite logit',
    fn: 'draw',
    overrides: (s) => ({ logits: replaced(f32(s, 'draw', 'logits'), 3, Infinity) }),
    argument: 'logits',
    message: /row 0 is not finite/,
  },
  { title: 'draw: tokens holds 3 values for 2 rows', fn: 'draw', overrides: () => ({ tokens: new Int32Array(3) }), argument: 'tokens' },
  { title: 'draw: logProbs is an Int32Array', fn: 'draw', overrides: () => ({ logProbs: new Int32Array(B) }), argument: 'logProbs' },
  { title: 'draw: rows 0', fn: 'draw', overrides: () => ({ rows: 0 }), argument: 'rows' },
  { title: 'draw: vocab larger than the logits hold', fn: 'draw', overrides: () => ({ vocab: 51 }), argument: 'logits' },
  {
    title: 'draw: tokens and logProbs share one buffer',
    fn: 'draw',
    overrides: () => {
      const buffer = new ArrayBuffer(4 * B);
      return { tokens: new Int32Array(buffer), logProbs: new Float32Array(buffer) };
    },
    argument: 'tokens',
    message: /shares memory with logProbs/,
  },
  { title: 'setThreads: threads is a string', fn: 'setThreads', overrides: () => ({ threads: 'four' }), argument: 'threads' },
];

export interface RawOutcome {
  title: string;
  threw: boolean;
  isError: boolean;
  message: string;
  ok: boolean;
}

/** Runs one case; ok when it threw an Error whose message starts with the argument's name (and matches `message`). */
export function runRawCase(binding: NativeBinding, setup: RawSetup, c: RawCase): RawOutcome {
  const names = SIGNATURES[c.fn];
  const values = { ...setup.valid[c.fn], ...c.overrides(setup) };
  const args = names.map((name) => values[name]).slice(0, c.truncate ?? names.length);
  const fn = (binding as unknown as Record<string, (...a: unknown[]) => unknown>)[c.fn];
  try {
    fn(...args);
  } catch (error) {
    const isError = error instanceof Error;
    const message = isError ? error.message : String(error);
    const named = message.startsWith(`${c.argument}:`) || message.startsWith(`${c.argument}[`);
    return { title: c.title, threw: true, isError, message, ok: isError && named && (c.message === undefined || c.message.test(message)) };
  }
  return { title: c.title, threw: false, isError: false, message: '(did not throw)', ok: false };
}

/** After the bad calls, a valid forward still gives the log-probs and heads it gave before them (bit for bit). */
export function stillWorks(binding: NativeBinding, setup: RawSetup): boolean {
  const v = setup.valid.forward;
  const logProbs = new Float32Array(B * T);
  const heads = new Float32Array(SHAPE.scalarHeads * B * T);
  binding.forward(
    setup.shape,
    v.params as Float32Array,
    v.acts as Float32Array,
    v.ids as Int32Array,
    v.starts as Int32Array,
    B,
    T,
    v.targets as Int32Array,
    logProbs,
    heads,
    0,
    true,
  );
  return logProbs.every((x, i) => Object.is(x, setup.logProbs[i])) && heads.every((x, i) => Object.is(x, setup.heads[i]));
}
