import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { createEngine, initWeights, tokenBatch, type Engine, type Model, type ModelConfig } from '@goodhart/model';
import { evaluatePolicy } from '../src/evaluation.ts';
import { categoricalKl } from '@goodhart/model/kl';

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine('tfjs', 'wasm');
});

function meanAndStandardError(values: readonly number[]): { mean: number; se: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, se: Math.sqrt(variance / values.length) };
}

describe('KL estimates through the evaluation path', () => {
  it('through the evaluation path (sampling, batching, both models): matches the exact KL of two-token responses', () => {
    const config: ModelConfig = { kind: 'lm', vocabSize: 12, contextLength: 8, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };
    const reference = engine.createModel(config, initWeights(config, Rng.fromSeed(1, 'kl-test/reference')));
    // Sharpen the policy so the KL is far from zero.
    const policyWeights = initWeights(config, Rng.fromSeed(2, 'kl-test/policy'));
    policyWeights.get('wte')!.data.forEach((value, i, data) => (data[i] = value * 8));
    const policy = engine.createModel(config, policyWeights);
    const prompt = [3, 5, 7];
    /** The next-token distribution after `context`, from the decoder's logits. */
    const nextDistribution = (model: Model, context: number[]): Float64Array => {
      const session = model.prefill(tokenBatch([context]));
      try {
        const logits = session.logits;
        let max = -Infinity;
        for (const value of logits) max = Math.max(max, value);
        const exp = Float64Array.from(logits, (value) => Math.exp(value - max));
        const total = exp.reduce((a, b) => a + b, 0);
        return exp.map((value) => value / total);
      } finally {
        session.dispose();
      }
    };
    // KL of the two-token sequence = KL of the first token + E_{t1 ~ π}[KL of the second given t1].
    const p1 = nextDistribution(policy, prompt);
    let exact = categoricalKl(p1, nextDistribution(reference, prompt));
    for (let t1 = 0; t1 < config.vocabSize; t1++)
      exact += p1[t1] * categoricalKl(nextDistribution(policy, [...prompt, t1]), nextDistribution(reference, [...prompt, t1]));

    const samples = evaluatePolicy(
      policy,
      reference,
      [{ promptId: 0, tokens: prompt }],
      { step: 0, samplesPerPrompt: 6000, batchSize: 1000, maxNewTokens: 2, temperature: 1 },
      {
        proxy: (prompts) => new Float64Array(prompts.length),
        gold: (_prompts, responses) => ({ gold: new Float64Array(responses.length), human: new Float64Array(responses.length) }),
      },
      Rng.fromSeed(3, 'kl-test/samples'),
    );
    expect(exact).toBeGreaterThan(0.2);
    // k2 is biased: only the unbiased estimators must average to the exact KL (model/test/kl-estimators.test.ts tests k2).
    for (const key of ['k1', 'k3', 'exact'] as const) {
      const { mean, se } = meanAndStandardError(samples.map((s) => s.kl[key]));
      expect(Math.abs(mean - exact), `${key}: mean ${mean} vs exact ${exact} (se ${se})`).toBeLessThan(4 * se);
    }
    policy.dispose();
    reference.dispose();
  });

  it('through the evaluation path, the initial policy measures exactly 0 against its reference, and scores pass through', () => {
    const config: ModelConfig = { kind: 'lm', vocabSize: 12, contextLength: 8, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };
    const weights = initWeights(config, Rng.fromSeed(4, 'kl-test/same'));
    const policy = engine.createModel(config, weights);
    const reference = engine.createModel(config, weights);
    try {
      const samples = evaluatePolicy(
        policy,
        reference,
        [
          { promptId: 7, tokens: [1, 2] },
          { promptId: 9, tokens: [3, 4, 5] },
        ],
        { step: 3, samplesPerPrompt: 5, batchSize: 4, maxNewTokens: 3, temperature: 1 },
        {
          proxy: (prompts, responses) => responses.map((r, b) => r.length + prompts[b].length),
          gold: (prompts, responses) => ({ gold: responses.map((r) => -r[0]), human: responses.map((r, b) => r[0] + prompts[b][0]) }),
        },
        Rng.fromSeed(5, 'kl-test/same-samples'),
      );
      expect(samples).toHaveLength(10);
      expect(samples.map((s) => s.promptId)).toEqual([7, 7, 7, 7, 7, 9, 9, 9, 9, 9]);
      expect(samples.map((s) => s.sampleIndex)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
      for (const s of samples) {
        expect(s.step).toBe(3);
        expect(s.kl).toEqual({ k1: 0, k2: 0, k3: 0, exact: 0 });
        expect(s.tokens).toHaveLength(3);
        expect(s.proxy).toBe(3 + (s.promptId === 7 ? 2 : 3));
        expect(s.gold).toBe(-s.tokens[0]);
        expect(s.human).toBe(s.tokens[0] + (s.promptId === 7 ? 1 : 3));
      }
    } finally {
      policy.dispose();
      reference.dispose();
    }
  });
});
