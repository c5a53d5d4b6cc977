import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeBinding, NativeShape } from '../src/index.ts';
import { nativeAddonPath } from '../src/index.ts';
import { makeRng, native, parameterTensors, randomIds, randomParams } from './helpers.ts';

// bfloat16 keeps 8 significant bits: rounding a float32 to it has relative error at most u = 2^-9.
const U = 2 ** -9;

/** The values of x rounded to bfloat16 (nearest even), as floats. */
function roundToBf16(x: Float32Array): Float32Array {
  const out = x.slice();
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = (((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return out;
}

const bf16Available = native?.info().bf16 === true;

// CI reads this line to know which kernels ran (and why bf16 did not).
console.log(`native bf16 kernels: ${native ? native.info().bf16Status : 'native engine unavailable'}`);

describe.skipIf(!native || !bf16Available)('bgemm (bfloat16, float32 accumulation)', () => {
  const nb = native as NativeBinding;
  afterAll(() => nb.setThreads(1));
  // op(A)·op(B) with both operands rounded to bf16 first, summed in double: bgemm differs from it only by its
  // float32 accumulation, whose error is at most ≈ K·2^-24·Σ|a·b|.
  it.each([
    [37, 45, 29],
    [8, 32, 2],
    [1, 1, 1],
    [40, 70, 257],
    [17, 33, 600],
  ])('matches the product of the bf16-rounded operands, every layout (%i×%i×%i)', (m, n, k) => {
    const rng = makeRng(m * 1000 + n + k);
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const a = Float32Array.from({ length: m * k }, () => rng.normal());
        const b = Float32Array.from({ length: k * n }, () => rng.normal());
        const kp = (k + 1) >> 1;
        const ap = new Uint16Array(2 * m * kp);
        const bp = new Uint16Array(2 * kp * n);
        nb.bf16Pairs(a, transA ? k : m, transA ? m : k, !transA, ap);
        nb.bf16Pairs(b, transB ? n : k, transB ? k : n, transB, bp);
        const c = Float32Array.from({ length: m * n }, () => rng.normal());
        const before = c.slice();
        const ar = roundToBf16(a);
        const br = roundToBf16(b);
        nb.bgemm(m, n, k, ap, transA, bp, transB, c, true);
        let worst = 0;
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let exact = 0;
            let magnitude = 0;
            for (let q = 0; q < k; q++) {
              const term = (transA ? ar[q * m + i] : ar[i * k + q]) * (transB ? br[j * k + q] : br[q * n + j]);
              exact += term;
              magnitude += Math.abs(term);
            }
            const bound = (k + 2) * 2 ** -24 * (magnitude + Math.abs(before[i * n + j])) + 1e-30;
            worst = Math.max(worst, Math.abs(c[i * n + j] - (before[i * n + j] + exact)) / bound);
          }
        expect(worst, `transA ${transA} transB ${transB}`).toBeLessThanOrEqual(1);
      }
  });

  it('gives bit-identical results for 1 and 2 threads', () => {
    const rng = makeRng(3);
    const [m, n, k] = [300, 260, 700];
    const a = Float32Array.from({ length: m * k }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const ap = new Uint16Array(2 * m * ((k + 1) >> 1));
    const bp = new Uint16Array(2 * n * ((k + 1) >> 1));
    const results = [1, 2].map((threads) => {
      nb.setThreads(threads);
      nb.bf16Pairs(a, m, k, true, ap);
      nb.bf16Pairs(b, k, n, false, bp);
      const c = new Float32Array(m * n);
      nb.bgemm(m, n, k, ap, false, bp, false, c, false);
      return c;
    });
    expect(Buffer.from(results[1].buffer).equals(Buffer.from(results[0].buffer))).toBe(true);
  });
});

describe.skipIf(!native || !bf16Available)('the model in bf16 against fp32 (random weights)', () => {
  const nb = native as NativeBinding;
  const shape: NativeShape = { vocabSize: 61, contextLength: 24, layers: 2, dModel: 32, heads: 4, mlpRatio: 4, scalarHeads: 2 };
  const B = 3;
  const T = 20;
  const params = randomParams(nb, shape, 11, 0.15);
  const rng = makeRng(12);
  const ids = randomIds(rng, B * T, shape.vocabSize);
  const targets = randomIds(rng, B * T, shape.vocabSize);
  const starts = Int32Array.from([0, 3, 7]);
  const pack = (): Uint16Array => {
    const out = new Uint16Array(2 * nb.bf16PackWords(shape));
    nb.bf16Pack(shape, params, out);
    return out;
  };
  afterAll(() => nb.setThreads(1));

  function run(bf16Pack: Uint16Array | null): { logProbs: Float32Array; heads: Float32Array; grads: Float32Array } {
    const acts = new Float32Array(nb.activationSize(shape, B, T, true));
    const logProbs = new Float32Array(B * T);
    const heads = new Float32Array(shape.scalarHeads * B * T);
    nb.forward(shape, params, acts, ids, starts, B, T, targets, logProbs, heads, 0, true, bf16Pack);
    const grads = new Float32Array(params.length);
    const dLogProbs = Float32Array.from({ length: B * T }, (_, i) => (i % 5 === 0 ? 0 : -1 / (B * T)));
    const dHeads = Float32Array.from({ length: heads.length }, (_, i) => Math.sin(i));
    nb.backward(shape, params, grads, acts, ids, starts, B, T, targets, dLogProbs, dHeads, 0, bf16Pack);
    return { logProbs, heads, grads };
  }

  it('per-token log-probs and head outputs within the bfloat16 bound, gradients with cosine ≥ 0.999 per tensor', () => {
    const fp32 = run(null);
    const low = run(pack());
    // Bound: every product input is rounded once (relative error ≤ u on each of the two factors), so a product's
    // output moves by at most ≈ 2u of the magnitude Σ|x·w| it sums; with both layers' four products and the LM
    // head in series the logits (hence log-probs, whose log-sum-exp at most doubles the worst logit error) move
    // by at most 2·(4·layers + 1)·2u relative to their typical magnitude. Values are O(1) here (unit-scale
    // LayerNorm outputs, weights of scale 0.15), so the absolute bound is that factor times the largest |value|.
    const factor = 2 * (4 * shape.layers + 1) * 2 * U;
    const scaleOf = (x: Float32Array): number => x.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    let worstLogProb = 0;
    fp32.logProbs.forEach((v, i) => (worstLogProb = Math.max(worstLogProb, Math.abs(v - low.logProbs[i]))));
    let worstHead = 0;
    fp32.heads.forEach((v, i) => (worstHead = Math.max(worstHead, Math.abs(v - low.heads[i]))));
    console.log(
      `bf16 vs fp32: worst |Δ log-prob| ${worstLogProb.toExponential(2)} (bound ${(factor * scaleOf(fp32.logProbs)).toExponential(2)}), worst |Δ head| ${worstHead.toExponential(2)} (bound ${(factor * scaleOf(fp32.heads)).toExponential(2)})`,
    );
    expect(worstLogProb).toBeLessThanOrEqual(factor * scaleOf(fp32.logProbs));
    expect(worstHead).toBeLessThanOrEqual(factor * scaleOf(fp32.heads));
    let worstCosine = 1;
    let worstName = '';
    for (const { name, offset, size } of parameterTensors(shape)) {
      let dot = 0;
      let na = 0;
      let nb2 = 0;
      for (let i = offset; i < offset + size; i++) {
        dot += fp32.grads[i] * low.grads[i];
        na += fp32.grads[i] ** 2;
        nb2 += low.grads[i] ** 2;
      }
      if (na === 0 && nb2 === 0) continue;
      const cosine = dot / Math.sqrt(na * nb2);
      if (cosine < worstCosine) [worstCosine, worstName] = [cosine, name];
    }
    console.log(`bf16 vs fp32: worst gradient cosine ${worstCosine.toFixed(6)} (${worstName})`);
    expect(worstCosine).toBeGreaterThanOrEqual(0.999);
  });

  it('is bit-identical for 1 and 2 threads (forward, backward, pack)', () => {
    const results = [1, 2].map((threads) => {
      nb.setThreads(threads);
      return run(pack());
    });
    for (const key of ['logProbs', 'heads', 'grads'] as const)
      expect(Buffer.from(results[1][key].buffer).equals(Buffer.from(results[0][key].buffer)), key).toBe(true);
  });

  it('decodes with the KV cache in bf16 as its own full forward does', () => {
    const bf16Pack = pack();
    const P = 6;
    const steps = 10;
    const W = P + steps;
    const V = shape.vocabSize;
    const rows = B;
    const full = randomIds(makeRng(13), rows * (W + 1), V);
    const st = Int32Array.from([0, 2, 4]);
    const fids = new Int32Array(rows * W);
    const ftargets = new Int32Array(rows * W);
    for (let b = 0; b < rows; b++)
      for (let t = 0; t < W; t++) {
        fids[b * W + t] = full[b * (W + 1) + t];
        ftargets[b * W + t] = full[b * (W + 1) + t + 1];
      }
    const logProbs = new Float32Array(rows * W);
    nb.forward(shape, params, new Float32Array(nb.activationSize(shape, rows, W, false)), fids, st, rows, W, ftargets, logProbs, null, 0, false, bf16Pack);
    const cache = new Float32Array(nb.cacheSize(shape, rows));
    const prompt = new Int32Array(rows * P);
    for (let b = 0; b < rows; b++) for (let t = 0; t < P; t++) prompt[b * P + t] = fids[b * W + t];
    const logits = new Float32Array(rows * V);
    nb.prefill(shape, params, cache, new Float32Array(nb.activationSize(shape, rows, P, false)), prompt, st, rows, P, logits, bf16Pack);
    const decodeActs = new Float32Array(nb.activationSize(shape, rows, 1, false));
    let worst = 0;
    const logSoftmaxAt = (row: Float32Array, index: number): number => {
      const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
      return row[index] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    };
    for (let column = P - 1; column < W; column++) {
      if (column >= P) {
        const tokens = Int32Array.from({ length: rows }, (_, b) => fids[b * W + column]);
        nb.decode(shape, params, cache, decodeActs, tokens, st, rows, column, logits, bf16Pack);
      }
      for (let b = 0; b < rows; b++)
        worst = Math.max(worst, Math.abs(logSoftmaxAt(logits.subarray(b * V, (b + 1) * V), ftargets[b * W + column]) - logProbs[b * W + column]));
    }
    // The same bf16 products on the same rounded weights; only the row grouping of the fp32 accumulation differs.
    expect(worst).toBeLessThan(1e-4);
  });

  it('rejects a bad pack without touching memory', () => {
    const acts = new Float32Array(nb.activationSize(shape, B, T, false));
    const logProbs = new Float32Array(B * T);
    const call = (p: unknown): void => nb.forward(shape, params, acts, ids, starts, B, T, targets, logProbs, null, 0, false, p as Uint16Array);
    const words = nb.bf16PackWords(shape);
    expect(() => call(new Uint16Array(2 * words - 2))).toThrow(/^bf16: length must be/);
    expect(() => call(new Float32Array(words))).toThrow(/^bf16: expected a Uint16Array/);
    expect(() => call(new Uint16Array(new ArrayBuffer(4 * words + 4), 2, 2 * words))).toThrow(/^bf16: must start at a multiple of 4 bytes/);
    expect(() => nb.bf16Pack(shape, params, null as unknown as Uint16Array)).toThrow(/^pack: expected a Uint16Array/);
    const shared = new Uint16Array(params.buffer, 0, 2 * Math.min(words, params.length / 2) - 0);
    if (shared.length === 2 * words) expect(() => nb.bf16Pack(shape, params, shared)).toThrow(/shares memory/);
    expect(() => nb.bgemm(2, 2, 3, new Uint16Array(4), false, new Uint16Array(8), false, new Float32Array(4), false)).toThrow(/^a: length must be 8/);
    expect(() => nb.bf16Pairs(new Float32Array(6), 2, 3, true, new Uint16Array(6))).toThrow(/^dst: length must be 8/);
  });
});

describe.skipIf(!native)('forced fp32 fallback (GOODHART_BF16=fallback)', () => {
  it('reports the fallback and refuses bf16 work with a clear error', () => {
    const script = `
      const nb = require(${JSON.stringify(nativeAddonPath)});
      const info = nb.info();
      let error = '';
      try { nb.bgemm(1, 1, 1, new Uint16Array(2), false, new Uint16Array(2), false, new Float32Array(1), false); } catch (e) { error = e.constructor.name + ': ' + e.message; }
      console.log(JSON.stringify({ bf16: info.bf16, status: info.bf16Status, error }));`;
    const result = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, GOODHART_BF16: 'fallback' }, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { bf16: boolean; status: string; error: string };
    expect(out.bf16).toBe(false);
    expect(out.status).toBe('fp32 fallback forced by GOODHART_BF16=fallback');
    expect(out.error).toMatch(/^RangeError: bgemm: the bfloat16 kernels are not available here \(fp32 fallback forced/);
  });
});
