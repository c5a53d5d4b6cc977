import { describe, expect, it } from 'vitest';
import type { NativeShape } from '../src/index.ts';
import { makeRng, native, randomIds, randomParams } from './helpers.ts';

// Every bad call must throw an Error naming the argument, and the process must go on working afterwards.
describe.skipIf(!native)('argument validation', () => {
  const nb = native!;
  const shape: NativeShape = { vocabSize: 20, contextLength: 10, layers: 1, dModel: 8, heads: 2, mlpRatio: 2, scalarHeads: 1 };
  const B = 2,
    T = 5,
    N = B * T,
    V = shape.vocabSize;
  const rng = makeRng(41);
  const params = randomParams(nb, shape, 42);
  const ids = randomIds(rng, N, V);
  const targets = randomIds(rng, N, V);
  const starts = Int32Array.from([0, 2]);
  const trainActs = new Float32Array(nb.activationSize(shape, B, T, true));
  const logProbs = new Float32Array(N);
  type FwdArgs = Parameters<typeof nb.forward>;
  const fwd = (patch: Partial<Record<number, unknown>> = {}) => {
    const args: unknown[] = [shape, params, trainActs, ids, starts, B, T, targets, logProbs, null, 0, true];
    for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
    return () => nb.forward(...(args as FwdArgs));
  };
  const cache = new Float32Array(nb.cacheSize(shape, B));
  const inferActs = new Float32Array(nb.activationSize(shape, B, T, false));
  const logits = new Float32Array(B * V);
  type PrefillArgs = Parameters<typeof nb.prefill>;
  const prefill = (patch: Partial<Record<number, unknown>> = {}) => {
    const args: unknown[] = [shape, params, cache, inferActs, ids, starts, B, T, logits];
    for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
    return () => nb.prefill(...(args as PrefillArgs));
  };
  const decode = (patch: Partial<Record<number, unknown>> = {}) => {
    const args: unknown[] = [shape, params, cache, inferActs, Int32Array.from([1, 2]), starts, B, T, logits];
    for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
    return () => nb.decode(...(args as PrefillArgs));
  };

  /** Throws a TypeError/RangeError naming `name`; afterwards a good call still works. */
  const rejects = (call: () => unknown, name: RegExp, kind: 'TypeError' | 'RangeError' | 'any' = 'any') => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(caught, 'expected the call to throw').toBeInstanceOf(Error);
    if (kind !== 'any') expect((caught as Error).name).toBe(kind);
    expect((caught as Error).message).toMatch(name);
    fwd()(); // still alive and working
    expect(logProbs.every(Number.isFinite)).toBe(true);
  };

  it('accepts the good calls', () => {
    fwd()();
    prefill()();
    decode()();
    nb.backward(shape, params, new Float32Array(params.length), trainActs, ids, starts, B, T, targets, new Float32Array(N).fill(1), null, 0);
  });

  it('wrong typed array type', () => {
    rejects(fwd({ 3: Float32Array.from(ids) }), /^ids: expected an Int32Array/, 'TypeError');
    rejects(fwd({ 1: Float64Array.from(params) }), /^params: expected a Float32Array/, 'TypeError');
    rejects(fwd({ 2: [1, 2, 3] }), /^acts:/, 'TypeError');
    rejects(fwd({ 4: new Uint32Array(2) }), /^starts:/, 'TypeError');
    rejects(fwd({ 7: new Float32Array(N) }), /^targets:/, 'TypeError');
  });
  it('wrong lengths', () => {
    rejects(fwd({ 1: params.subarray(1) }), /^params: length must be/, 'RangeError');
    rejects(fwd({ 2: trainActs.subarray(0, trainActs.length - 1) }), /^acts: length must be at least/, 'RangeError');
    rejects(fwd({ 3: ids.subarray(1) }), /^ids: length/, 'RangeError');
    rejects(fwd({ 4: new Int32Array(3) }), /^starts: length/, 'RangeError');
    rejects(fwd({ 8: new Float32Array(N + 1) }), /^logProbs: length/, 'RangeError');
    rejects(fwd({ 9: new Float32Array(N + 1) }), /^heads: length/, 'RangeError');
    rejects(fwd({ 9: new Float32Array(N), 10: 1 }), /^heads: length/, 'RangeError');
    rejects(prefill({ 8: new Float32Array(B * V - 1) }), /^logits: length/, 'RangeError');
    rejects(prefill({ 2: cache.subarray(1) }), /^cache: length/, 'RangeError');
  });
  it('token ids out of range (≥ vocab and negative)', () => {
    rejects(fwd({ 3: Int32Array.from(ids).fill(V, 4, 5) }), /^ids\[4\] = 20 is out of range/, 'RangeError');
    rejects(fwd({ 3: Int32Array.from(ids).fill(-1, 0, 1) }), /^ids\[0\] = -1/, 'RangeError');
    rejects(fwd({ 7: Int32Array.from(targets).fill(V + 5, 9, 10) }), /^targets\[9\]/, 'RangeError');
    rejects(decode({ 4: Int32Array.from([0, V]) }), /^tokens\[1\]/, 'RangeError');
    rejects(prefill({ 4: Int32Array.from(ids).fill(-7, 3, 4) }), /^ids\[3\]/, 'RangeError');
  });
  it('time and batch out of range', () => {
    const big = shape.contextLength + 1;
    rejects(
      fwd({ 6: big, 3: new Int32Array(B * big), 7: new Int32Array(B * big), 8: new Float32Array(B * big) }),
      /^time: must be an integer in \[1, 10\]/,
      'RangeError',
    );
    rejects(fwd({ 6: 0 }), /^time:/, 'RangeError');
    rejects(fwd({ 6: 2.5 }), /^time:/, 'RangeError');
    rejects(fwd({ 5: 0 }), /^batch:/, 'RangeError');
    rejects(fwd({ 5: '2' }), /^batch: expected a number/, 'TypeError');
    rejects(() => nb.activationSize(shape, 1, 11, true), /^time:/, 'RangeError');
  });
  it('starts out of range', () => {
    rejects(fwd({ 4: Int32Array.from([0, T]) }), /^starts\[1\] = 5 is out of range \[0, 4\]/, 'RangeError');
    rejects(fwd({ 4: Int32Array.from([-1, 0]) }), /^starts\[0\]/, 'RangeError');
    rejects(decode({ 5: Int32Array.from([0, T]) }), /^starts\[1\]/, 'RangeError');
  });
  it('NaN or Infinity in params', () => {
    const bad = Float32Array.from(params);
    bad[123] = NaN;
    rejects(fwd({ 1: bad }), /^params: non-finite value NaN at index 123/, 'RangeError');
    rejects(prefill({ 1: bad }), /^params: non-finite/, 'RangeError');
    bad[123] = 0;
    bad[5] = -Infinity;
    rejects(
      fwd({ 1: bad, 7: null, 8: null, 9: new Float32Array(B), 10: 1, 11: false, 2: inferActs }),
      /^params: non-finite value -Infinity at index 5/,
      'RangeError',
    );
  });
  it('bad shapes', () => {
    rejects(fwd({ 0: { ...shape, heads: 3 } }), /^shape\.heads: 3 does not divide shape\.dModel 8/, 'RangeError');
    rejects(fwd({ 0: { ...shape, layers: 0 } }), /^shape\.layers:/, 'RangeError');
    rejects(fwd({ 0: { ...shape, dModel: 8.5 } }), /^shape\.dModel:/, 'RangeError');
    rejects(fwd({ 0: { ...shape, vocabSize: undefined } }), /^shape\.vocabSize: expected a number/, 'TypeError');
    rejects(fwd({ 0: { ...shape, scalarHeads: -1 } }), /^shape\.scalarHeads:/, 'RangeError');
    rejects(fwd({ 0: null }), /^shape: expected an object/, 'TypeError');
    rejects(() => nb.activationSize({ ...shape, contextLength: 1 << 16 }, 1 << 24, 1 << 16, true), /sizes too large/, 'RangeError');
  });
  it('bad decode lengths', () => {
    rejects(decode({ 7: 0 }), /^length: must be an integer in \[1, 9\]/, 'RangeError');
    rejects(decode({ 7: shape.contextLength }), /^length:/, 'RangeError');
    rejects(decode({ 7: NaN }), /^length:/, 'RangeError');
    rejects(decode({ 7: 2 }), /^starts\[1\] = 2 is out of range \[0, 1\]/, 'RangeError');
    rejects(decode({ 3: new Float32Array(10) }), /^acts: length must be at least/, 'RangeError');
  });
  it('bad decayRanges and optimizer scalars', () => {
    const n = 100;
    const arrays = () => [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
    const adamw =
      (ranges: unknown, patch: Partial<Record<number, unknown>> = {}) =>
      () => {
        const args: unknown[] = [...arrays(), ranges, 1, 1e-3, 0.9, 0.95, 1e-8, 0.1, 1];
        for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
        nb.adamw(...(args as Parameters<typeof nb.adamw>));
      };
    rejects(adamw(Int32Array.from([0, 10, 20])), /^decayRanges: length must be even/, 'RangeError');
    rejects(adamw(Int32Array.from([0, 101])), /^decayRanges: pair 0/, 'RangeError');
    rejects(adamw(Int32Array.from([-1, 5])), /^decayRanges: pair 0/, 'RangeError');
    rejects(adamw(Int32Array.from([10, 5])), /^decayRanges: pair 0/, 'RangeError');
    rejects(adamw(Int32Array.from([0, 50, 40, 60])), /^decayRanges: pair 1/, 'RangeError');
    rejects(adamw(Float32Array.from([0, 5])), /^decayRanges: expected an Int32Array/, 'TypeError');
    rejects(adamw(new Int32Array(0), { 6: NaN }), /^learningRate: must be a finite number/, 'RangeError');
    rejects(adamw(new Int32Array(0), { 5: 0 }), /^step:/, 'RangeError');
    rejects(adamw(new Int32Array(0), { 7: 1 }), /^beta1:/, 'RangeError');
    rejects(adamw(new Int32Array(0), { 9: 0 }), /^epsilon:/, 'RangeError');
    rejects(adamw(new Int32Array(0), { 1: new Float32Array(n - 1) }), /^grads: length/, 'RangeError');
    rejects(adamw(new Int32Array(0), { 3: new Float32Array(n + 1) }), /^v: length/, 'RangeError');
    adamw(Int32Array.from([0, 50, 50, 100]))();
  });
  it('sgemm dimensions against the array lengths', () => {
    const a = new Float32Array(6),
      b = new Float32Array(12),
      c = new Float32Array(8);
    nb.sgemm(2, 4, 3, a, false, b, false, c, false);
    rejects(() => nb.sgemm(2, 4, 4, a, false, b, false, c, false), /^a: length must be 8/, 'RangeError');
    rejects(() => nb.sgemm(2, 5, 3, a, false, b, false, c, false), /^b: length/, 'RangeError');
    rejects(() => nb.sgemm(2, 4, 3, a, false, b, false, new Float32Array(7), false), /^c: length/, 'RangeError');
    rejects(() => nb.sgemm(0, 4, 3, a, false, b, false, c, false), /^m:/, 'RangeError');
    rejects(() => nb.sgemm(2, 4, 3, a, 1 as unknown as boolean, b, false, c, false), /^transA: expected a boolean/, 'TypeError');
    const shared = new Float32Array(20);
    rejects(() => nb.sgemm(2, 4, 3, shared.subarray(0, 6), false, b, false, shared.subarray(4, 12), false), /^c: shares memory with a/, 'RangeError');
  });
  it('argument combinations, aliasing and missing forwards', () => {
    rejects(fwd({ 7: null }), /^logProbs: must be null when targets is null/, 'TypeError');
    rejects(fwd({ 8: null }), /^logProbs: must be a Float32Array/, 'TypeError');
    rejects(fwd({ 11: 1 }), /^train: expected a boolean/, 'TypeError');
    rejects(fwd({ 10: 2 }), /^headsAt:/, 'RangeError');
    rejects(fwd({ 8: trainActs.subarray(0, N) }), /^(acts|logProbs): shares memory/, 'RangeError');
    const acts = new Float32Array(nb.activationSize(shape, B, T, true));
    rejects(
      () => nb.backward(shape, params, new Float32Array(params.length), acts, ids, starts, B, T, targets, new Float32Array(N), null, 0),
      /^acts: does not hold a train forward/,
      'RangeError',
    );
    nb.forward(shape, params, acts, ids, starts, B, T, null, null, null, 0, true);
    rejects(
      () => nb.backward(shape, params, new Float32Array(params.length), acts, ids, starts, B, T, targets, new Float32Array(N), null, 0),
      /^acts: does not hold a train forward/,
      'RangeError',
    );
    rejects(
      () => nb.backward(shape, params, new Float32Array(params.length), acts, ids, starts, B, T, null, new Float32Array(N), null, 0),
      /^dLogProbs: given without targets/,
      'TypeError',
    );
    rejects(
      () => nb.backward(shape, params, new Float32Array(params.length + 1), acts, ids, starts, B, T, null, null, null, 0),
      /^grads: length/,
      'RangeError',
    );
    rejects(() => (nb.forward as unknown as (...a: unknown[]) => void)(shape, params), /^(batch|time|headsAt|train|acts)/, 'any');
    rejects(() => nb.setThreads(NaN), /^threads:/, 'any');
  });
});
