import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { createEngine, initWeights, type AdamWOptions, type Engine, type Model, type ModelConfig, type NamedTensor } from '@goodhart/model';
import { batchLoss, implicitReward, pairLoss } from '../src/losses.ts';
import { comparisonBatch, comparisonLogProbs, type Comparison } from '../src/pair-batch.ts';
import { comparisonLoss, type ReferencedComparison } from '../src/trainer.ts';

/** A tiny LM: vocabulary 40, context 24, one layer. */
const CONFIG: ModelConfig = { kind: 'lm', vocabSize: 40, contextLength: 24, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };
/** AdamW with β1 = 0 and no clipping or decay: after a step at learning rate 0 the first moment is the gradient. */
const READ_GRADIENT: AdamWOptions = { beta1: 0, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, gradientClip: Infinity };

function weights(seed: number): Map<string, NamedTensor> {
  const out = initWeights(CONFIG, Rng.fromSeed(seed, 'dpo-test/init'));
  const rng = Rng.fromSeed(seed, 'dpo-test/perturb');
  // initWeights leaves gains at 1 and biases at 0; drawing them too exercises every parameter's path.
  for (const [name, tensor] of out) {
    const leaf = name.split('.').at(-1);
    if (leaf === 'g' || leaf === 'b') for (let i = 0; i < tensor.data.length; i++) tensor.data[i] += rng.normal() * 0.05;
  }
  return out;
}

/** Comparisons of different prompt and response lengths, so the batch is left-padded. */
function comparisons(rng: Rng, count: number): Comparison[] {
  const tokens = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.int(CONFIG.vocabSize - 1));
  return Array.from({ length: count }, (_, i) => ({
    promptTokens: tokens(2 + (i % 3)),
    chosen: tokens(1 + ((i * 5) % 6)),
    rejected: tokens(2 + ((i * 3) % 5)),
  }));
}

/** Σ_t log softmax of each response token, from forwards of the unpadded sequence one prefix at a time (no batching). */
function bruteForceLogProb(model: Model, prompt: readonly number[], response: readonly number[]): number {
  const sequence = [...prompt, ...response];
  const ids = Int32Array.from(sequence.slice(0, -1));
  const targets = Int32Array.from(sequence.slice(1));
  const out = model.forward({ rows: 1, width: ids.length, ids, starts: new Int32Array(1) }, { targets });
  let total = 0;
  for (let k = 0; k < response.length; k++) total += out.logProbs![ids.length - response.length + k];
  return total;
}

function referenced(reference: Model, items: readonly Comparison[]): ReferencedComparison[] {
  const logProbs = comparisonLogProbs(reference, items, 4);
  return items.map((c, i) => ({ ...c, referenceChosen: logProbs.chosen[i], referenceRejected: logProbs.rejected[i] }));
}

function lossAt(model: Model, items: readonly ReferencedComparison[], loss: 'dpo' | 'ipo', beta: number): number {
  const batch = comparisonBatch(items);
  return comparisonLoss({ loss, beta }, batch, items, model.forward(batch.tokens, { targets: batch.targets })).loss;
}

async function engines(): Promise<[string, Engine][]> {
  const list: [string, Engine][] = [['tfjs', await createEngine('tfjs', 'wasm')]];
  try {
    list.push(['native', await createEngine('native')]);
  } catch {
    // The native addon did not build here: the tfjs reference is still checked.
  }
  return list;
}

describe('DPO and IPO losses', () => {
  it('match their formulas, and dL/dh matches a central difference', () => {
    for (const beta of [0.05, 0.5, 3]) {
      for (const h of [-4, -0.3, 0, 0.7, 5]) {
        const dpo = pairLoss('dpo', beta, h);
        expect(dpo.loss).toBeCloseTo(-Math.log(1 / (1 + Math.exp(-beta * h))), 12);
        const ipo = pairLoss('ipo', beta, h);
        expect(ipo.loss).toBeCloseTo((h - 1 / (2 * beta)) ** 2, 10);
        for (const loss of ['dpo', 'ipo'] as const) {
          const eps = 1e-5;
          const numeric = (pairLoss(loss, beta, h + eps).loss - pairLoss(loss, beta, h - eps).loss) / (2 * eps);
          expect(pairLoss(loss, beta, h).dMargin).toBeCloseTo(numeric, 6);
        }
      }
    }
    // Stable far out: no overflow to Infinity or NaN.
    expect(pairLoss('dpo', 1, -1000).loss).toBeCloseTo(1000, 6);
    expect(pairLoss('dpo', 1, 1000).loss).toBe(0);
  });

  it("a pair's implicit reward margin is β·(Δ log π − Δ log π_ref), with log-probs summed token by token without padding", async () => {
    const [, engine] = (await engines())[0];
    const policy = engine.createModel(CONFIG, weights(1));
    const reference = engine.createModel(CONFIG, weights(2));
    const items = comparisons(Rng.fromSeed(3, 'pairs'), 6);
    const beta = 0.3;
    const policyLogProbs = comparisonLogProbs(policy, items, 4);
    const referenceLogProbs = comparisonLogProbs(reference, items, 4);
    const result = batchLoss('dpo', beta, policyLogProbs, referenceLogProbs);
    let marginTotal = 0;
    items.forEach((c) => {
      const lp = (model: Model, response: readonly number[]): number => bruteForceLogProb(model, c.promptTokens, response);
      const expected = beta * (lp(policy, c.chosen) - lp(policy, c.rejected) - (lp(reference, c.chosen) - lp(reference, c.rejected)));
      const rewardMargin =
        implicitReward(beta, lp(policy, c.chosen), lp(reference, c.chosen)) - implicitReward(beta, lp(policy, c.rejected), lp(reference, c.rejected));
      expect(rewardMargin).toBeCloseTo(expected, 10);
      marginTotal += expected;
    });
    expect(result.margin).toBeCloseTo(marginTotal / items.length, 4);
    policy.dispose();
    reference.dispose();
  });

  for (const loss of ['dpo', 'ipo'] as const) {
    it(`${loss.toUpperCase()}: the engine's parameter gradient matches finite differences of the loss along random directions`, async () => {
      for (const [name, engine] of await engines()) {
        const reference = engine.createModel(CONFIG, weights(11));
        const items = referenced(reference, comparisons(Rng.fromSeed(12, 'pairs'), 5));
        const start = weights(13);
        const model = engine.createModel(CONFIG, start);
        const batch = comparisonBatch(items);
        const out = model.forward(batch.tokens, { targets: batch.targets, train: true });
        model.backward(comparisonLoss({ loss, beta: 0.4 }, batch, items, out).gradients);
        model.step(0, READ_GRADIENT);
        const gradient = new Map([...model.optimizerState().tensors].filter(([n]) => n.startsWith('m/')).map(([n, t]) => [n.slice(2), t.data]));
        model.dispose();
        const rng = Rng.fromSeed(14, `directions/${loss}`);
        for (let trial = 0; trial < 3; trial++) {
          const direction = new Map([...start].map(([n, t]) => [n, Float64Array.from(t.data, () => rng.normal())]));
          const norm = Math.sqrt([...direction.values()].reduce((a, v) => a + v.reduce((b, x) => b + x * x, 0), 0));
          let analytic = 0;
          for (const [n, v] of direction) v.forEach((x, i) => (analytic += (x / norm) * gradient.get(n)![i]));
          const eps = 1e-2;
          const shifted = (sign: number): number => {
            const moved = new Map(
              [...start].map(([n, t]) => [
                n,
                { shape: [...t.shape], data: Float32Array.from(t.data, (x, i) => x + (sign * eps * direction.get(n)![i]) / norm) },
              ]),
            );
            const m = engine.createModel(CONFIG, moved);
            const value = lossAt(m, items, loss, 0.4);
            m.dispose();
            return value;
          };
          const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
          expect(Math.abs(analytic - numeric), `${name} trial ${trial}: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(
            2e-3 * Math.max(1, Math.abs(numeric)),
          );
        }
        reference.dispose();
      }
    });
  }
});
