import { describe, expect, it } from 'vitest';
import type { NativeShape } from '../src/index.ts';
import { makeRng, native, parameterTensors, randomIds, randomParams } from './helpers.ts';

function logSoftmaxAt(row: Float32Array, index: number): number {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let total = 0;
  for (const x of row) total += Math.exp(x - max);
  return row[index] - max - Math.log(total);
}

describe.skipIf(!native)('KV cache', () => {
  const nb = native!;
  it('prefill + decode steps give the logits of a full forward, with left-padded rows', () => {
    const shape: NativeShape = { vocabSize: 37, contextLength: 48, layers: 2, dModel: 24, heads: 3, mlpRatio: 2, scalarHeads: 0 };
    const params = randomParams(nb, shape, 5);
    const rng = makeRng(6);
    const B = 4,
      T = 6,
      steps = 38,
      W = T + steps + 1,
      V = shape.vocabSize;
    const starts = Int32Array.from([0, 2, 5, 1]);
    const full = randomIds(rng, B * W, V);
    // full-forward log-probs of every column of width W − 1
    const ids = new Int32Array(B * (W - 1)),
      targets = new Int32Array(B * (W - 1));
    for (let b = 0; b < B; b++)
      for (let t = 0; t < W - 1; t++) {
        ids[b * (W - 1) + t] = full[b * W + t];
        targets[b * (W - 1) + t] = full[b * W + t + 1];
      }
    const logProbs = new Float32Array(B * (W - 1));
    nb.forward(shape, params, new Float32Array(nb.activationSize(shape, B, W - 1, false)), ids, starts, B, W - 1, targets, logProbs, null, 0, false);

    const cache = new Float32Array(nb.cacheSize(shape, B));
    const acts = new Float32Array(nb.activationSize(shape, B, T, false));
    const prompt = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) prompt[b * T + t] = full[b * W + t];
    const logits = new Float32Array(B * V);
    nb.prefill(shape, params, cache, acts, prompt, starts, B, T, logits);
    let worst = 0;
    const compare = (column: number) => {
      for (let b = 0; b < B; b++) {
        const got = logSoftmaxAt(logits.subarray(b * V, (b + 1) * V), full[b * W + column + 1]);
        worst = Math.max(worst, Math.abs(got - logProbs[b * (W - 1) + column]));
      }
    };
    compare(T - 1);
    const decodeActs = new Float32Array(nb.activationSize(shape, B, 1, false));
    for (let k = 0; k < steps; k++) {
      const length = T + k;
      const tokens = Int32Array.from({ length: B }, (_, b) => full[b * W + length]);
      nb.decode(shape, params, cache, decodeActs, tokens, starts, B, length, logits);
      compare(length);
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

const fdCases = [
  { contextLength: 8, T: 6, starts: [0, 2, 5] },
  { contextLength: 40, T: 37, starts: [0, 5, 36] }, // more than one attention query block
];
for (const fd of fdCases)
  describe.skipIf(!native)(`backward vs finite differences (time ${fd.T})`, () => {
    const nb = native!;
    const shape: NativeShape = { vocabSize: 11, contextLength: fd.contextLength, layers: 2, dModel: 12, heads: 2, mlpRatio: 2, scalarHeads: 2 };
    const B = 3,
      T = fd.T,
      N = B * T;
    const rng = makeRng(21);
    const params = randomParams(nb, shape, 22, 0.4);
    const ids = randomIds(rng, N, shape.vocabSize);
    const targets = randomIds(rng, N, shape.vocabSize);
    const starts = Int32Array.from(fd.starts);
    const wLp = Float32Array.from({ length: N }, rng.normal);

    type Loss = { name: string; targets: boolean; headsAt: 0 | 1; dHeads: Float32Array | null };
    const losses: Loss[] = [
      { name: 'log-prob loss', targets: true, headsAt: 0, dHeads: null },
      { name: 'heads loss at every column', targets: false, headsAt: 0, dHeads: Float32Array.from({ length: 2 * N }, rng.normal) },
      { name: 'heads loss at the last column + log-probs', targets: true, headsAt: 1, dHeads: Float32Array.from({ length: 2 * B }, rng.normal) },
    ];
    for (const loss of losses) {
      it(loss.name, () => {
        const acts = new Float32Array(nb.activationSize(shape, B, T, true));
        const lp = new Float32Array(N);
        const heads = new Float32Array(loss.headsAt === 0 ? 2 * N : 2 * B);
        const value = (p: Float32Array): number => {
          nb.forward(
            shape,
            p,
            acts,
            ids,
            starts,
            B,
            T,
            loss.targets ? targets : null,
            loss.targets ? lp : null,
            loss.dHeads ? heads : null,
            loss.headsAt,
            true,
          );
          let s = 0;
          if (loss.targets) for (let i = 0; i < N; i++) s += wLp[i] * lp[i];
          if (loss.dHeads) for (let i = 0; i < heads.length; i++) s += loss.dHeads[i] * heads[i];
          return s;
        };
        value(params);
        const grads = new Float32Array(params.length);
        nb.backward(shape, params, grads, acts, ids, starts, B, T, loss.targets ? targets : null, loss.targets ? wLp : null, loss.dHeads, loss.headsAt);
        // directional derivative along a random direction inside each tensor
        const dirRng = makeRng(99);
        let checked = 0;
        for (const { name, offset, size } of parameterTensors(shape)) {
          const u = Float64Array.from({ length: size }, dirRng.normal);
          const norm = Math.hypot(...u);
          let analytic = 0;
          for (let i = 0; i < size; i++) analytic += grads[offset + i] * (u[i] / norm);
          const eps = 1e-2;
          const plus = Float32Array.from(params),
            minus = Float32Array.from(params);
          for (let i = 0; i < size; i++) {
            plus[offset + i] += (eps * u[i]) / norm;
            minus[offset + i] -= (eps * u[i]) / norm;
          }
          const numeric = (value(plus) - value(minus)) / (2 * eps);
          const tolerance = 2e-3 + 1e-2 * Math.abs(numeric);
          if (Math.abs(analytic - numeric) > tolerance) throw new Error(`${name}: analytic ${analytic}, numeric ${numeric}`);
          checked++;
        }
        expect(checked).toBe(parameterTensors(shape).length);
      });
    }

    it('pad columns do not affect the real columns', () => {
      const lp1 = new Float32Array(N),
        lp2 = new Float32Array(N);
      const acts = new Float32Array(nb.activationSize(shape, B, T, false));
      nb.forward(shape, params, acts, ids, starts, B, T, targets, lp1, null, 0, false);
      const other = Int32Array.from(ids);
      for (let b = 0; b < B; b++) for (let t = 0; t < starts[b]; t++) other[b * T + t] = (other[b * T + t] + 3) % shape.vocabSize;
      nb.forward(shape, params, acts, other, starts, B, T, targets, lp2, null, 0, false);
      for (let b = 0; b < B; b++) for (let t = starts[b]; t < T; t++) expect(lp2[b * T + t]).toBe(lp1[b * T + t]);
    });
  });

describe.skipIf(!native)('determinism', () => {
  const nb = native!;
  const shape: NativeShape = { vocabSize: 300, contextLength: 48, layers: 2, dModel: 64, heads: 4, mlpRatio: 4, scalarHeads: 1 };
  const B = 6,
    T = 45,
    N = B * T;
  const rng = makeRng(31);
  const params = randomParams(nb, shape, 32, 0.1);
  const ids = randomIds(rng, N, shape.vocabSize);
  const targets = randomIds(rng, N, shape.vocabSize);
  const starts = Int32Array.from([0, 3, 9, 0, 44, 35]);
  const dlp = Float32Array.from({ length: N }, rng.normal);
  const dHeads = Float32Array.from({ length: N }, rng.normal);
  const run = (threads: number) => {
    nb.setThreads(threads);
    try {
      const acts = new Float32Array(nb.activationSize(shape, B, T, true));
      const lp = new Float32Array(N),
        heads = new Float32Array(N),
        grads = new Float32Array(params.length);
      nb.forward(shape, params, acts, ids, starts, B, T, targets, lp, heads, 0, true);
      nb.backward(shape, params, grads, acts, ids, starts, B, T, targets, dlp, dHeads, 0);
      const scoreActs = new Float32Array(nb.activationSize(shape, B, T, false));
      const score = new Float32Array(B);
      nb.forward(shape, params, scoreActs, ids, starts, B, T, null, null, score, 1, false);
      return [lp, heads, grads, score].map((a) => Buffer.from(a.buffer));
    } finally {
      nb.setThreads(1);
    }
  };
  it('two identical calls give bit-identical outputs and gradients', () => {
    const a = run(1),
      b = run(1);
    a.forEach((x, i) => expect(x.equals(b[i])).toBe(true));
  });
  it('1 and 2 threads give bit-identical outputs and gradients', () => {
    const a = run(1),
      b = run(2);
    a.forEach((x, i) => expect(x.equals(b[i])).toBe(true));
  });
});
