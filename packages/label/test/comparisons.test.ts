import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { buildComparisons, meanAndStd, type ScoredSample } from '../src/comparisons.ts';

function syntheticSamples(prompts: number, perPrompt: number, rng: Rng): ScoredSample[][] {
  return Array.from({ length: prompts }, (_, promptId) =>
    Array.from({ length: perPrompt }, (_, sampleIndex) => ({
      promptId,
      sampleIndex,
      tokens: [sampleIndex],
      text: `response ${sampleIndex}`,
      ended: true,
      gold: rng.normal(),
      human: rng.normal(),
    })),
  );
}

describe('buildComparisons', () => {
  it('pairs every two samples of a prompt, prefers higher gold and drops exact ties', () => {
    const samples: ScoredSample[][] = [
      [0.5, -1, 0.5, 2].map((gold, i) => ({ promptId: 3, sampleIndex: i, tokens: [i], text: String(i), ended: true, gold, human: -gold })),
    ];
    const comparisons = buildComparisons(samples, 0, Rng.fromSeed(1));
    expect(comparisons).toHaveLength(5); // C(4,2) = 6 pairs, one tie (0.5 vs 0.5)
    for (const c of comparisons) {
      expect(c.promptId).toBe(3);
      expect(c.a.gold).not.toBe(c.b.gold);
      expect(c.goldPreferred).toBe(c.a.gold > c.b.gold ? 0 : 1);
      expect(c.preferred).toBe(c.goldPreferred);
      expect(c.humanPreferred).toBe(1 - c.goldPreferred); // this human disagrees with gold on every pair
    }
  });

  it('puts the preferred response first half the time', () => {
    const comparisons = buildComparisons(syntheticSamples(2000, 4, Rng.fromSeed(2)), 0, Rng.fromSeed(3));
    const first = comparisons.filter((c) => c.preferred === 0).length / comparisons.length;
    expect(first).toBeGreaterThan(0.48);
    expect(first).toBeLessThan(0.52);
  });

  it('label noise 0.25 gives labels that agree with gold on 75% ± 2% of pairs', () => {
    const comparisons = buildComparisons(syntheticSamples(3000, 4, Rng.fromSeed(4)), 0.25, Rng.fromSeed(5));
    expect(comparisons.length).toBeGreaterThan(15_000);
    const agreement = comparisons.filter((c) => c.preferred === c.goldPreferred).length / comparisons.length;
    expect(Math.abs(agreement - 0.75)).toBeLessThan(0.02);
    // Half the labels are coin flips.
    const flipped = comparisons.filter((c) => c.flipped).length / comparisons.length;
    expect(Math.abs(flipped - 0.5)).toBeLessThan(0.02);
  });

  it('is deterministic for a seed, and rejects noise outside [0, 0.5]', () => {
    const samples = syntheticSamples(50, 4, Rng.fromSeed(6));
    const once = buildComparisons(samples, 0.1, Rng.fromSeed(7)).map((c) => [c.a.sampleIndex, c.b.sampleIndex, c.preferred]);
    const twice = buildComparisons(samples, 0.1, Rng.fromSeed(7)).map((c) => [c.a.sampleIndex, c.b.sampleIndex, c.preferred]);
    expect(twice).toEqual(once);
    expect(() => buildComparisons(samples, 0.6, Rng.fromSeed(7))).toThrow(/labelNoise/);
  });
});

describe('meanAndStd', () => {
  it('matches a hand computation and refuses a constant gold', () => {
    expect(meanAndStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(1.25) });
    expect(() => meanAndStd([0.3, 0.3])).toThrow(/zero spread/);
  });
});
