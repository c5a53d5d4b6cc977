import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@goodhart/core';
import { Transformer, type ModelConfig } from '@goodhart/model';
import { PpoTrainer, type RewardFunction } from '../src/trainer.ts';
import { ValueHead } from '../src/value-head.ts';
import type { PpoHyperparameters } from '../src/hyperparameters.ts';

beforeAll(async () => {
  await initBackend('wasm');
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

function train(overrides: Partial<PpoHyperparameters>, iterations: number): { scores: number[]; kls: number[] } {
  const policy = Transformer.init(config, Rng.fromSeed(5, 'ppo-test/policy'));
  const reference = Transformer.init(config, Rng.fromSeed(5, 'ppo-test/policy'));
  const trainer = new PpoTrainer(policy, ValueHead.init(config.dModel), reference, targetFraction, { ...hyperparameters, ...overrides });
  const scores: number[] = [];
  const kls: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const rng = Rng.fromSeed(9, `ppo-test/iteration/${i}`);
    const stats = trainer.iteration(prompts(rng.fork('prompts')), rng);
    scores.push(stats.score);
    kls.push(stats.kl);
  }
  trainer.dispose();
  trainer.head.dispose();
  policy.dispose();
  reference.dispose();
  return { scores, kls };
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('PPO trainer', () => {
  it('raises the reward of a tiny synthetic task, moving away from the reference policy', () => {
    const { scores, kls } = train({}, 40);
    const before = mean(scores.slice(0, 5));
    const after = mean(scores.slice(-5));
    expect(before).toBeLessThan(0.2);
    expect(after, `reward ${before.toFixed(3)} → ${after.toFixed(3)}`).toBeGreaterThan(before + 0.3);
    expect(kls[0]).toBeCloseTo(0, 5);
    expect(mean(kls.slice(-5))).toBeGreaterThan(0.5);
  });

  it('a KL penalty holds the policy closer to the reference', () => {
    const free = train({}, 25);
    const penalised = train({ klCoefficient: 1 }, 25);
    expect(mean(penalised.kls.slice(-5))).toBeLessThan(mean(free.kls.slice(-5)));
  });

  it('rejects inconsistent hyperparameters, naming the field', () => {
    const policy = Transformer.init(config, Rng.fromSeed(1, 'x'));
    expect(() => new PpoTrainer(policy, ValueHead.init(config.dModel), policy, targetFraction, { ...hyperparameters, minibatches: 5 })).toThrow(/minibatches: got 5; allowed: an integer ≥ 1 dividing batchSize \(32\)/);
    policy.dispose();
  });
});
