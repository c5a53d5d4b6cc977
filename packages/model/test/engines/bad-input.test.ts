/**
 * Requirement 7: bad input never crashes the process. Every case throws a JavaScript Error naming the argument, both
 * at the Model interface of the native engine (where the shared TypeScript checks answer first) and directly at the
 * raw binding (bypassing them, so the addon's C++ validation answers). The raw cases also run in a child process,
 * which must exit normally (code 0, no signal): a segfault would show as a signal there.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import {
  createEngine,
  defaultAdamW,
  initWeights,
  sample,
  type Engine,
  type Model,
  type ModelConfig,
  type NamedTensor,
  type TokenBatch,
} from '../../src/index.ts';
import { rawCases, rawSetup, runRawCase, stillWorks, type RawOutcome, type RawSetup } from './bad-input-cases.ts';
import { cloneWeights, describeNative, rawBinding, TINY } from './helpers.ts';

const config: ModelConfig = { ...TINY, kind: 'reward' };
const HEADS = ['value'];
const childScript = fileURLToPath(new URL('./bad-input-child.ts', import.meta.url));

interface Context {
  engine: Engine;
  model: Model;
  weights: Map<string, NamedTensor>;
  batch: TokenBatch;
  targets: Int32Array;
}

/** A valid left-padded batch of 2 rows × 6 columns (rows start at 0 and 2). */
function validBatch(): { batch: TokenBatch; targets: Int32Array } {
  const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 50);
  return { batch: { rows: 2, width: 6, ids, starts: Int32Array.from([0, 2]) }, targets: Int32Array.from(ids, (x) => (x + 1) % 50) };
}

function withIds(batch: TokenBatch, index: number, value: number): TokenBatch {
  const ids = batch.ids.slice();
  ids[index] = value;
  return { ...batch, ids };
}

function withWeight(weights: Map<string, NamedTensor>, name: string, change: (t: NamedTensor) => NamedTensor): Map<string, NamedTensor> {
  const copy = cloneWeights(weights);
  copy.set(name, change(copy.get(name)!));
  return copy;
}

function poke(data: Float32Array, index: number, value: number): Float32Array {
  const copy = Float32Array.from(data);
  copy[index] = value;
  return copy;
}

/** Model-interface cases on the native engine: [title, message pattern naming the argument, call]. */
const modelCases: [string, RegExp, (c: Context) => unknown][] = [
  // wrong shapes
  [
    'forward: ids shorter than rows × width',
    /^batch\.ids: holds 11 ids, expected rows × width = 12/,
    (c) => c.model.forward({ ...c.batch, ids: c.batch.ids.subarray(1) }, {}),
  ],
  ['forward: rows 0', /^batch\.rows/, (c) => c.model.forward({ ...c.batch, rows: 0 }, { heads: 'all' })],
  [
    'createModel: a misshapen tensor (wte transposed)',
    /wte has shape \[32,50\], expected \[50,32\]/,
    (c) =>
      c.engine.createModel(
        config,
        withWeight(c.weights, 'wte', (t) => ({ ...t, shape: [32, 50] })),
        HEADS,
      ),
  ],
  [
    'createModel: a missing tensor',
    /missing h\.1\.mlp\.fc\.b/,
    (c) => c.engine.createModel(config, new Map([...c.weights].filter(([name]) => name !== 'h.1.mlp.fc.b')), HEADS),
  ],
  [
    'backward: gradients.logProbs of the wrong length',
    /^gradients\.logProbs: holds 3 values, expected 12/,
    (c) => {
      c.model.forward(c.batch, { targets: c.targets, train: true });
      c.model.backward({ logProbs: new Float32Array(3) });
    },
  ],
  [
    'backward: gradients for a head the model lacks',
    /^gradients\.heads\.policy/,
    (c) => {
      c.model.forward(c.batch, { heads: 'last', train: true });
      c.model.backward({ heads: { policy: new Float32Array(2) } });
    },
  ],
  [
    "backward: 'last' head gradients sized for 'all'",
    /^gradients\.heads\.reward: holds 12 values, expected 2/,
    (c) => {
      c.model.forward(c.batch, { heads: 'last', train: true });
      c.model.backward({ heads: { reward: new Float32Array(12) } });
    },
  ],
  // wrong typed-array types
  [
    'forward: ids is a Float32Array',
    /^batch\.ids: must be an Int32Array/,
    (c) => c.model.forward({ ...c.batch, ids: Float32Array.from(c.batch.ids) as unknown as Int32Array }, {}),
  ],
  [
    'forward: starts is a plain array',
    /^batch\.starts: must be an Int32Array/,
    (c) => c.model.forward({ ...c.batch, starts: [0, 2] as unknown as Int32Array }, {}),
  ],
  [
    'forward: targets is a Uint32Array',
    /^targets: must be an Int32Array/,
    (c) => c.model.forward(c.batch, { targets: Uint32Array.from(c.targets) as unknown as Int32Array }),
  ],
  [
    'backward: gradients.logProbs is a Float64Array',
    /^gradients\.logProbs: must be a Float32Array/,
    (c) => {
      c.model.forward(c.batch, { targets: c.targets, train: true });
      c.model.backward({ logProbs: new Float64Array(12) as unknown as Float32Array });
    },
  ],
  [
    'createModel: a tensor held in a Float64Array',
    /h\.0\.ln_1\.g/,
    (c) =>
      c.engine.createModel(
        config,
        withWeight(c.weights, 'h.0.ln_1.g', (t) => ({ ...t, data: Float64Array.from(t.data) as unknown as Float32Array })),
        HEADS,
      ),
  ],
  ['decode step: tokens is a Float32Array', /^tokens/, (c) => c.model.prefill(c.batch).step(Float32Array.from([1, 2]) as unknown as Int32Array)],
  // wrong lengths
  [
    'forward: starts holds 3 values for 2 rows',
    /^batch\.starts: holds 3 values, expected one per row \(2\)/,
    (c) => c.model.forward({ ...c.batch, starts: Int32Array.from([0, 2, 0]) }, {}),
  ],
  ['forward: targets one id short', /^targets: holds 11 ids/, (c) => c.model.forward(c.batch, { targets: c.targets.subarray(1) })],
  ['decode step: 3 tokens for 2 rows', /^tokens/, (c) => c.model.prefill(c.batch).step(Int32Array.from([1, 2, 3]))],
  // token ids outside the vocabulary
  [
    'forward: an id = vocabSize',
    /^batch\.ids: token id 50 at row 0, column 3 is outside the vocabulary \[0, 50\)/,
    (c) => c.model.forward(withIds(c.batch, 3, 50), { heads: 'all' }),
  ],
  ['forward: a negative id', /^batch\.ids: token id -1/, (c) => c.model.forward(withIds(c.batch, 11, -1), { heads: 'all' })],
  ['forward: a target = vocabSize', /^targets: token id 50/, (c) => c.model.forward(c.batch, { targets: poke32(c.targets, 0, 50) })],
  ['forward: a negative target', /^targets: token id -7/, (c) => c.model.forward(c.batch, { targets: poke32(c.targets, 4, -7) })],
  ['prefill: an id = vocabSize', /^batch\.ids: token id 50/, (c) => c.model.prefill(withIds(c.batch, 0, 50))],
  ['decode step: a token = vocabSize', /^tokens: row 1 has id 50/, (c) => c.model.prefill(c.batch).step(Int32Array.from([1, 50]))],
  ['decode step: a negative token', /^tokens: row 0 has id -1/, (c) => c.model.prefill(c.batch).step(Int32Array.from([-1, 2]))],
  // past the context length
  [
    'forward: a batch wider than the context (17 > 16)',
    /^batch\.width: sequence length 17 exceeds the model's context length 16/,
    (c) => c.model.forward({ rows: 1, width: 17, ids: new Int32Array(17), starts: new Int32Array(1) }, { heads: 'all' }),
  ],
  [
    'prefill: a batch wider than the context',
    /^batch\.width/,
    (c) => c.model.prefill({ rows: 1, width: 17, ids: new Int32Array(17), starts: new Int32Array(1) }),
  ],
  [
    'decode step: past the context length',
    /context length 16/,
    (c) => {
      const session = c.model.prefill(c.batch);
      for (let length = c.batch.width; length < config.contextLength; length++) session.step(Int32Array.from([1, 2]));
      session.step(Int32Array.from([1, 2]));
    },
  ],
  [
    'sample: prompt + maxNewTokens past the context',
    /exceeds the context length 16/,
    (c) => sample(c.model, [[1, 2, 3]], { maxNewTokens: 14, temperature: 1 }, Rng.fromSeed(1)),
  ],
  // starts out of range
  [
    'forward: a start = width',
    /^batch\.starts: row 1 starts at 6, outside \[0, 5\]/,
    (c) => c.model.forward({ ...c.batch, starts: Int32Array.from([0, 6]) }, {}),
  ],
  ['forward: a negative start', /^batch\.starts: row 0 starts at -1/, (c) => c.model.forward({ ...c.batch, starts: Int32Array.from([-1, 0]) }, {})],
  ['prefill: a start = width', /^batch\.starts/, (c) => c.model.prefill({ ...c.batch, starts: Int32Array.from([6, 0]) })],
  // NaN weights
  [
    'createModel: a NaN weight',
    /h\.0\.attn\.qkv\.w holds a non-finite value \(NaN\) at index 17/,
    (c) =>
      c.engine.createModel(
        config,
        withWeight(c.weights, 'h.0.attn.qkv.w', (t) => ({ ...t, data: poke(t.data, 17, NaN) })),
        HEADS,
      ),
  ],
  [
    'createModel: an Infinity in the extra head',
    /value\.b holds a non-finite value \(Infinity\)/,
    (c) =>
      c.engine.createModel(
        config,
        withWeight(c.weights, 'value.b', (t) => ({ ...t, data: poke(t.data, 0, Infinity) })),
        HEADS,
      ),
  ],
  [
    'loadOptimizerState: a NaN moment',
    /m\/wpe holds a non-finite value/,
    (c) => {
      const state = c.model.optimizerState();
      const wpe = state.tensors.get('m/wpe')!;
      state.tensors.set('m/wpe', { ...wpe, data: poke(wpe.data, 3, NaN) });
      c.model.loadOptimizerState(state.tensors, 1);
    },
  ],
  // bad decode length (the interface has no length argument: the session counts; these are its two misuses)
  [
    'decode step: after dispose',
    /disposed/,
    (c) => {
      const session = c.model.prefill(c.batch);
      session.dispose();
      session.step(Int32Array.from([1, 2]));
    },
  ],
  // the session's token draw (sample()'s native fast path; no TypeScript checks in front of the addon)
  ['decode draw: uniforms for 1 row of 2', /^uniforms: length must be 2/, (c) => c.model.prefill(c.batch).draw!(Float64Array.from([0.5]), 1)],
  ['decode draw: a uniform = 1', /^uniforms\[0\] = 1 is outside \[0, 1\)/, (c) => c.model.prefill(c.batch).draw!(Float64Array.from([1, 0.5]), 1)],
  ['decode draw: temperature 0', /^temperature/, (c) => c.model.prefill(c.batch).draw!(Float64Array.from([0.5, 0.5]), 0)],
  [
    'decode draw: after dispose',
    /disposed/,
    (c) => {
      const session = c.model.prefill(c.batch);
      session.dispose();
      session.draw!(Float64Array.from([0.5, 0.5]), 1);
    },
  ],
  ['sample: temperature 0', /temperature/, (c) => sample(c.model, [[1, 2, 3]], { maxNewTokens: 2, temperature: 0 }, Rng.fromSeed(1))],
  ['sample: maxNewTokens 0', /maxNewTokens/, (c) => sample(c.model, [[1, 2, 3]], { maxNewTokens: 0, temperature: 1 }, Rng.fromSeed(1))],
  // bad optimizer arguments (decayRanges are built by the engine and never reach the interface)
  ['step: beta1 = 1', /^beta1: got 1/, (c) => c.model.step(1e-3, { ...defaultAdamW, beta1: 1 })],
  ['step: learningRate NaN', /^learningRate: got NaN/, (c) => c.model.step(NaN, defaultAdamW)],
  ['step: gradientClip 0', /^gradientClip: got 0/, (c) => c.model.step(1e-3, { ...defaultAdamW, gradientClip: 0 })],
  ['backward: without a train forward', /backward\(\) needs a forward with train: true/, (c) => c.engine.createModel(config, c.weights, HEADS).backward({})],
];

function poke32(data: Int32Array, index: number, value: number): Int32Array {
  const copy = Int32Array.from(data);
  copy[index] = value;
  return copy;
}

describeNative('bad input never crashes the native engine', () => {
  describe('at the Model interface (native engine)', () => {
    const context = {} as Context;
    let before: { logProbs?: Float32Array; heads: Record<string, Float32Array> };
    beforeAll(async () => {
      context.engine = await createEngine('native');
      context.weights = initWeights(config, Rng.fromSeed(1, 'engines-test/bad-input'), HEADS);
      context.model = context.engine.createModel(config, cloneWeights(context.weights), HEADS);
      Object.assign(context, validBatch());
      before = context.model.forward(context.batch, { targets: context.targets, heads: 'all' });
    });

    for (const [title, pattern] of modelCases) {
      it(`${title} → an Error naming the argument (${pattern.source.slice(0, 60)})`, () => {
        const run = modelCases.find(([t]) => t === title)![2];
        let caught: unknown;
        try {
          run(context);
        } catch (error) {
          caught = error;
        }
        expect(caught, 'it must throw').toBeInstanceOf(Error);
        expect((caught as Error).message).toMatch(pattern);
      });
    }

    it('sample at a tiny but valid temperature (1e-40) draws the argmax, as the TypeScript path does — or throws naming temperature; it must not blame the logits', () => {
      const session = context.model.prefill(context.batch);
      const row = session.logits.subarray(0, config.vocabSize);
      const best = row.indexOf(Math.max(...row));
      session.dispose();
      let result: { tokens: number[][] } | undefined;
      try {
        result = sample(
          context.model,
          [Array.from(context.batch.ids.subarray(0, context.batch.width))],
          { maxNewTokens: 1, temperature: 1e-40 },
          Rng.fromSeed(1),
        );
      } catch (error) {
        expect((error as Error).message).toMatch(/^temperature/);
      }
      if (result) expect(result.tokens[0][0]).toBe(best);
    });

    it('after every bad call the model still works: the same outputs as before them', () => {
      const after = context.model.forward(context.batch, { targets: context.targets, heads: 'all' });
      expect(after.logProbs).toEqual(before.logProbs);
      expect(after.heads).toEqual(before.heads);
    });
  });

  describe('at the raw binding (C++ validation, no TypeScript checks)', () => {
    let setup: RawSetup;
    beforeAll(() => {
      setup = rawSetup(rawBinding());
    });

    for (const c of rawCases) {
      it(`${c.title} → an Error whose message starts with "${c.argument}"`, () => {
        const outcome: RawOutcome = runRawCase(rawBinding(), setup, c);
        expect(outcome.threw, outcome.message).toBe(true);
        expect(outcome.isError).toBe(true);
        expect(outcome.message.startsWith(c.argument), outcome.message).toBe(true);
        if (c.message) expect(outcome.message).toMatch(c.message);
        expect(outcome.ok).toBe(true);
      });
    }

    it('after every bad call the binding still works: a valid forward gives the same bits as before them', () => {
      expect(stillWorks(rawBinding(), setup)).toBe(true);
    });
  });

  describe('in a child process (a crash would be a signal, not an exception)', () => {
    it(`every raw-binding case (${rawCases.length}) in one child: it exits with code 0 and no signal, each case threw an Error naming its argument, and the binding still works afterwards`, async () => {
      const child = await execa('node', ['--import', 'tsx', childScript], { reject: false, cwd: fileURLToPath(new URL('../../../..', import.meta.url)) });
      expect(child.signal, child.stderr).toBeUndefined();
      expect(child.exitCode, child.stderr).toBe(0);
      const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { outcomes: RawOutcome[]; stillWorks: boolean };
      expect(report.outcomes.length).toBe(rawCases.length);
      expect(report.outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(report.stillWorks).toBe(true);
    });

    for (const title of ['forward: a NaN in params', 'decode: length = contextLength (decoding past the context)']) {
      it(`"${title}" alone in a fresh child: exit code 0, no signal, an Error naming the argument`, async () => {
        const child = await execa('node', ['--import', 'tsx', childScript, title], {
          reject: false,
          cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
        });
        expect(child.signal, child.stderr).toBeUndefined();
        expect(child.exitCode, child.stderr).toBe(0);
        const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { outcomes: RawOutcome[] };
        expect(report.outcomes).toHaveLength(1);
        expect(report.outcomes[0].ok, report.outcomes[0].message).toBe(true);
      });
    }
  });
});
