import { describe, expect, it } from 'vitest';
import type { NativeBinding, NativeShape } from '../src/index.ts';
import { makeRng, native, randomIds, randomParams } from './helpers.ts';

// Sequences that share a prompt, scored with the prompt encoded once, against forward() on each full sequence.
describe.skipIf(!native)('scoreResponses (prompt encoded once per pool)', () => {
  const nb = native as NativeBinding;
  const shape: NativeShape = { vocabSize: 53, contextLength: 40, layers: 2, dModel: 32, heads: 4, mlpRatio: 4, scalarHeads: 2 };
  const params = randomParams(nb, shape, 21, 0.2);

  /** Heads [H, B] from forward() over left-padded prompt ++ response rows (the full recomputation). */
  function full(prompt: Int32Array, responses: Int32Array, lengths: Int32Array, R: number, pack: Uint16Array | null): Float32Array {
    const B = lengths.length;
    const T = prompt.length + R;
    const ids = new Int32Array(B * T);
    const starts = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const seq = [...prompt, ...responses.subarray(b * R, b * R + lengths[b])];
      starts[b] = T - seq.length;
      ids.set(seq, b * T + starts[b]);
    }
    const heads = new Float32Array(shape.scalarHeads * B);
    nb.forward(shape, params, new Float32Array(nb.activationSize(shape, B, T, false)), ids, starts, B, T, null, null, heads, 1, false, pack);
    return heads;
  }

  function shared(prompt: Int32Array, responses: Int32Array, lengths: Int32Array, R: number, pack: Uint16Array | null): Float32Array {
    const B = lengths.length;
    const heads = new Float32Array(shape.scalarHeads * B);
    nb.scoreResponses(shape, params, new Float32Array(nb.activationSize(shape, B, R, false)), prompt, responses, lengths, B, R, heads, pack);
    return heads;
  }

  const rng = makeRng(22);
  const P = 13;
  const R = 17;
  const B = 9;
  const prompt = randomIds(rng, P, shape.vocabSize);
  const responses = randomIds(rng, B * R, shape.vocabSize);
  const lengths = Int32Array.from({ length: B }, (_, b) => (b === 0 ? R : 1 + rng.int(R)));

  // Tolerance: the same arithmetic except for the order of float32 sums (the attention products split into prompt
  // and response keys; the linear products see other row counts), so differences are a few float32 roundings of
  // values of order 1 through two layers: 1e-5 of the largest |head| (at least 1), a hundred times float32's ε.
  it('equals the full recomputation in fp32 within 1e-5 of the largest head value, for ragged responses', () => {
    const a = full(prompt, responses, lengths, R, null);
    const b = shared(prompt, responses, lengths, R, null);
    const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    console.log(`scoreResponses vs full forward (fp32): worst |Δ head| ${worst.toExponential(2)} (largest |head| ${scale.toFixed(3)})`);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
  });

  it.skipIf(!nb.info().bf16)('equals the full recomputation in bf16 within the bf16 rounding of the activations', () => {
    const pack = new Uint16Array(2 * nb.bf16PackWords(shape));
    nb.bf16Pack(shape, params, pack);
    const a = full(prompt, responses, lengths, R, pack);
    const b = shared(prompt, responses, lengths, R, pack);
    const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    // Both round the same activations to bf16, but an activation that differs in its last float32 bits can round
    // to a neighbouring bf16 value: bounded as in bf16.test.ts, 2·(4L + 1)·2·2^-9 of the largest value.
    const bound = 2 * (4 * shape.layers + 1) * 2 * 2 ** -9 * scale;
    console.log(`scoreResponses vs full forward (bf16): worst |Δ head| ${worst.toExponential(2)} (bound ${bound.toExponential(2)})`);
    expect(worst).toBeLessThanOrEqual(bound);
    // and it did compute in bf16 (not the fp32 result)
    const fp32 = shared(prompt, responses, lengths, R, null);
    expect(fp32.some((v, i) => v !== b[i])).toBe(true);
  });

  it('checks its arguments before touching memory', () => {
    const acts = new Float32Array(nb.activationSize(shape, B, R, false));
    const heads = new Float32Array(shape.scalarHeads * B);
    const call = (p: Int32Array, r: Int32Array, l: Int32Array, width = R, h = heads): void =>
      nb.scoreResponses(shape, params, acts, p, r, l, B, width, h, null);
    expect(() => call(new Int32Array(0), responses, lengths)).toThrow(/^prompt: length must be in \[1, contextLength − width\]/);
    expect(() => call(new Int32Array(shape.contextLength - R + 1), responses, lengths)).toThrow(/^prompt: length must be/);
    expect(() => call(Int32Array.from([shape.vocabSize]), responses, lengths)).toThrow(/^prompt\[0\] = 53 is out of range/);
    expect(() => call(prompt, responses.subarray(1), lengths)).toThrow(/^responses: length must be/);
    expect(() =>
      call(
        prompt,
        responses,
        Int32Array.from(lengths, (_, i) => (i === 2 ? 0 : 1)),
      ),
    ).toThrow(/^lengths\[2\] = 0 is out of range \[1, 17\]/);
    expect(() =>
      call(
        prompt,
        responses,
        Int32Array.from(lengths, () => R + 1),
      ),
    ).toThrow(/^lengths\[0\] = 18 is out of range/);
    expect(() => call(prompt, responses, lengths, R, new Float32Array(3))).toThrow(/^heads: length must be 18/);
    expect(() => nb.scoreResponses(shape, params, new Float32Array(10), prompt, responses, lengths, B, R, heads)).toThrow(/^acts: length must be at least/);
  });
});
