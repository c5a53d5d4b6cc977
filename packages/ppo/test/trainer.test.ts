import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { createEngine, initWeights, type Engine, type Model, type ModelConfig } from '@goodhart/model';
import { VALUE_HEAD } from '../src/batch.ts';
import { PpoTrainer, type RewardFunction } from '../src/trainer.ts';
import type { PpoHyperparameters } from '../src/hyperparameters.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine('tfjs', 'wasm');
});

const config: ModelConfig = { kind: 'lm', vocabSize: 16, contextLength: 12, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };
const TARGET = 3;
/** A synthetic task with a known optimum: the reward is the fraction of response tokens equal to TARGET. */
const targetFraction: RewardFunction = (_prompts, responses) => responses.map((r) => r.filter((t) => t === TARGET).length / r.length);

const hyperparameters: PpoHyperparameters = {
  batchSize: 32,
  minibatches: 2,
  epochs: 2,
  learningRate: 3e-3,
  clipRange: 0.2,
  valueClipRange: 0.2,
  valueCoefficient: 0.1,
  gamma: 1,
  gaeLambda: 0.95,
  gradientClip: 1,
  klCoefficient: 0,
  temperature: 1,
  maxNewTokens: 4,
};

function prompts(rng: Rng): number[][] {
  return Array.from({ length: hyperparameters.batchSize }, () => [1 + rng.int(15), 1 + rng.int(15)]);
}

/** A policy with a (zero) value head and a frozen reference with the same trunk weights. */
function policyAndReference(seed: number): { policy: Model; reference: Model } {
  const weights = initWeights(config, Rng.fromSeed(seed, 'ppo-test/policy'), [VALUE_HEAD]);
  const policy = engine.createModel(config, weights, [VALUE_HEAD]);
  const reference = engine.createModel(config, new Map([...weights].filter(([name]) => !name.startsWith(`${VALUE_HEAD}.`))));
  return { policy, reference };
}

function train(overrides: Partial<PpoHyperparameters>, iterations: number): { scores: number[]; kls: number[]; referenceUnchanged: boolean } {
  const { policy, reference } = policyAndReference(5);
  const referenceBefore = reference.weights();
  const trainer = new PpoTrainer(policy, reference, targetFraction, { ...hyperparameters, ...overrides });
  const scores: number[] = [];
  const kls: number[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      const rng = Rng.fromSeed(9, `ppo-test/iteration/${i}`);
      const stats = trainer.iteration(prompts(rng.fork('prompts')), rng);
      scores.push(stats.score);
      kls.push(stats.kl);
      expect(Number.isFinite(stats.loss) && stats.clipFraction >= 0 && stats.clipFraction <= 1, `iteration ${i}`).toBe(true);
      expect(stats.responseLength).toBe(hyperparameters.maxNewTokens);
    }
    expect(policy.steps).toBe(iterations * trainer.hyperparameters.epochs * trainer.hyperparameters.minibatches);
    const referenceAfter = reference.weights();
    const referenceUnchanged = [...referenceBefore].every(([name, { data }]) => data.every((v, k) => v === referenceAfter.get(name)!.data[k]));
    return { scores, kls, referenceUnchanged };
  } finally {
    policy.dispose();
    reference.dispose();
  }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('PPO trainer', () => {
  it('raises the reward of a tiny synthetic task, moving away from the reference policy', () => {
    const { scores, kls, referenceUnchanged } = train({}, 20);
    const before = mean(scores.slice(0, 5));
    const after = mean(scores.slice(-5));
    expect(before).toBeLessThan(0.2);
    expect(after, `reward ${before.toFixed(3)} → ${after.toFixed(3)}`).toBeGreaterThan(before + 0.3);
    expect(kls[0]).toBeCloseTo(0, 5);
    expect(mean(kls.slice(-5))).toBeGreaterThan(0.5);
    expect(referenceUnchanged).toBe(true);
  });

  it('a KL penalty holds the policy closer to the reference', () => {
    const free = train({}, 15);
    const penalised = train({ klCoefficient: 1 }, 15);
    expect(mean(penalised.kls.slice(-5))).toBeLessThan(mean(free.kls.slice(-5)));
  });

  it('trains the value head towards the returns', () => {
    const { policy, reference } = policyAndReference(6);
    // a constant reward of 1 at the end of every response: with γ = 1 and β_KL = 0 every return is 1
    const trainer = new PpoTrainer(policy, reference, (p) => new Float64Array(p.length).fill(1), { ...hyperparameters, learningRate: 1e-2 });
    try {
      const rng = Rng.fromSeed(10, 'ppo-test/value');
      const batchPrompts = prompts(rng.fork('prompts'));
      const valuesOf = (): number => {
        const values = policy.forward(
          { rows: 1, width: 3, ids: Int32Array.from([batchPrompts[0][0], batchPrompts[0][1], 5]), starts: new Int32Array(1) },
          { heads: 'last' },
        ).heads[VALUE_HEAD];
        return values[0];
      };
      expect(valuesOf()).toBe(0); // the value head starts at zero
      for (let i = 0; i < 8; i++) trainer.iteration(batchPrompts, rng.fork(`iteration/${i}`));
      expect(valuesOf()).toBeGreaterThan(0.3);
    } finally {
      policy.dispose();
      reference.dispose();
    }
  });

  it('rejects inconsistent hyperparameters, naming the field, and a policy without a value head', () => {
    const { policy, reference } = policyAndReference(1);
    try {
      expect(() => new PpoTrainer(policy, reference, targetFraction, { ...hyperparameters, minibatches: 5 })).toThrow(
        /minibatches: got 5; allowed: an integer ≥ 1 dividing batchSize \(32\)/,
      );
      expect(() => new PpoTrainer(reference, reference, targetFraction, hyperparameters)).toThrow(/needs a "value" head/);
      const trainer = new PpoTrainer(policy, reference, targetFraction, hyperparameters);
      expect(() => trainer.iteration(prompts(Rng.fromSeed(1)).slice(1), Rng.fromSeed(1))).toThrow(/expected 32 prompts, got 31/);
    } finally {
      policy.dispose();
      reference.dispose();
    }
  });
});
