import { describe, expect, it } from 'vitest';
import { loaded, makeRng, native, unavailable } from './helpers.ts';

describe('@goodhart/native loading', () => {
  it('loads the addon (required when GOODHART_REQUIRE_NATIVE=1)', (ctx) => {
    if (!native) {
      if (process.env.GOODHART_REQUIRE_NATIVE === '1') throw new Error(`native engine required but unavailable: ${unavailable}`);
      ctx.skip(`native engine unavailable: ${unavailable}`);
      return;
    }
    expect('path' in loaded && loaded.path.endsWith('goodhart_native.node')).toBe(true);
    const info = native.info();
    expect(['avx512', 'avx2', 'portable']).toContain(info.isa);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(typeof info.compiler).toBe('string');
  });
});

describe.skipIf(!native)('sgemm', () => {
  const nb = native!;
  function reference(m: number, n: number, k: number, a: Float32Array, ta: boolean, b: Float32Array, tb: boolean, c: Float32Array, acc: boolean): Float64Array {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = acc ? c[i * n + j] : 0;
        for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
        out[i * n + j] = s;
      }
    return out;
  }
  for (const [m, n, k] of [
    [1, 1, 1],
    [37, 29, 53],
    [64, 130, 17],
    [5, 300, 200],
  ] as const)
    for (const ta of [false, true])
      for (const tb of [false, true])
        for (const acc of [false, true])
          it(`${m}×${n}×${k} transA=${ta} transB=${tb} accumulate=${acc}`, () => {
            const rng = makeRng(m * 1000 + n * 10 + k);
            const a = Float32Array.from({ length: m * k }, rng.normal);
            const b = Float32Array.from({ length: k * n }, rng.normal);
            const c = Float32Array.from({ length: m * n }, rng.normal);
            const want = reference(m, n, k, a, ta, b, tb, c, acc);
            nb.sgemm(m, n, k, a, ta, b, tb, c, acc);
            for (let i = 0; i < m * n; i++) expect(Math.abs(c[i] - want[i])).toBeLessThan(1e-4 * Math.sqrt(k) * (1 + Math.abs(want[i])));
          });
});

describe.skipIf(!native)('gradNorm, firstNonFinite, adamw', () => {
  const nb = native!;
  it('gradNorm is √Σg² in double and propagates NaN/Infinity', () => {
    const rng = makeRng(3);
    const g = Float32Array.from({ length: 200_003 }, rng.normal);
    let s = 0;
    for (const x of g) s += x * x;
    expect(nb.gradNorm(g)).toBeCloseTo(Math.sqrt(s), 6);
    expect(nb.gradNorm(new Float32Array(0))).toBe(0);
    g[150_000] = Infinity;
    expect(nb.gradNorm(g)).toBe(Infinity);
    g[10] = NaN;
    expect(nb.gradNorm(g)).toBeNaN();
  });

  it('firstNonFinite finds the first NaN or ±Infinity', () => {
    const x = new Float32Array(300_000).fill(1.5);
    expect(nb.firstNonFinite(x)).toBe(-1);
    x[250_000] = -Infinity;
    expect(nb.firstNonFinite(x)).toBe(250_000);
    x[70_001] = NaN;
    expect(nb.firstNonFinite(x)).toBe(70_001);
    x[0] = Infinity;
    expect(nb.firstNonFinite(x)).toBe(0);
    expect(nb.firstNonFinite(new Float32Array(0))).toBe(-1);
  });

  it('adamw matches the formula, decaying only inside decayRanges', () => {
    const rng = makeRng(11);
    const n = 100_000;
    const p = Float32Array.from({ length: n }, rng.normal);
    const g = Float32Array.from({ length: n }, rng.normal);
    const m = Float32Array.from({ length: n }, () => 0.1 * rng.normal());
    const v = Float32Array.from({ length: n }, () => 0.01 * rng.uniform());
    const ranges = Int32Array.from([10, 500, 500, 600, 70_000, 99_999]);
    const [step, lr, b1, b2, eps, wd, scale] = [7, 3e-3, 0.9, 0.95, 1e-8, 0.1, 0.5];
    const P = Float64Array.from(p),
      M = Float64Array.from(m),
      Vv = Float64Array.from(v);
    const decayed = new Uint8Array(n);
    for (let r = 0; r < ranges.length; r += 2) decayed.fill(1, ranges[r], ranges[r + 1]);
    for (let i = 0; i < n; i++) {
      const gi = g[i] * scale;
      M[i] = b1 * M[i] + (1 - b1) * gi;
      Vv[i] = b2 * Vv[i] + (1 - b2) * gi * gi;
      const update = M[i] / (1 - b1 ** step) / (Math.sqrt(Vv[i] / (1 - b2 ** step)) + eps);
      P[i] = P[i] - lr * update - (decayed[i] ? lr * wd * P[i] : 0);
    }
    nb.adamw(p, g, m, v, ranges, step, lr, b1, b2, eps, wd, scale);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(m[i] - M[i]) / (1 + Math.abs(M[i])), Math.abs(v[i] - Vv[i]) / (1 + Math.abs(Vv[i])));
      worst = Math.max(worst, Math.abs(p[i] - P[i]) / 2 / (1 + Math.abs(P[i])));
    }
    expect(worst).toBeLessThan(1e-6);
    // outside the ranges no decay: a zero gradient with zero moments leaves the parameter unchanged
    const q = Float32Array.from([1, 2, 3, 4]);
    nb.adamw(q, new Float32Array(4), new Float32Array(4), new Float32Array(4), Int32Array.from([1, 2]), 1, 0.1, 0.9, 0.95, 1e-8, 0.5, 1);
    expect(Array.from(q)).toEqual([1, Math.fround(2 - Math.fround(2 * 0.05)), 3, 4]);
  });

  it('adamw does not depend on the thread count', () => {
    const rng = makeRng(12);
    const n = 300_000;
    const init = () => ({
      p: Float32Array.from({ length: n }, makeRng(1).normal),
      m: new Float32Array(n),
      v: new Float32Array(n),
    });
    const g = Float32Array.from({ length: n }, rng.normal);
    const runs = [1, 2].map((threads) => {
      nb.setThreads(threads);
      const s = init();
      nb.adamw(s.p, g, s.m, s.v, Int32Array.from([0, 1000, 5000, n]), 1, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1);
      return s.p;
    });
    nb.setThreads(1);
    expect(Buffer.from(runs[0].buffer).equals(Buffer.from(runs[1].buffer))).toBe(true);
  });
});
