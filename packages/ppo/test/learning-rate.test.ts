import { describe, expect, it } from 'vitest';
import { scheduledLearningRate } from '../src/learning-rate.ts';

describe('scheduledLearningRate', () => {
  const base = { learningRate: 1e-4, iterations: 4 };

  it('keeps the rate for "constant"', () => {
    for (let i = 0; i < 4; i++) expect(scheduledLearningRate({ ...base, learningRateSchedule: 'constant' }, i)).toBe(1e-4);
  });

  it('anneals linearly towards 0 for "linear", starting at the full rate', () => {
    const rates = [0, 1, 2, 3].map((i) => scheduledLearningRate({ ...base, learningRateSchedule: 'linear' }, i));
    [1e-4, 0.75e-4, 0.5e-4, 0.25e-4].forEach((expected, i) => expect(rates[i]).toBeCloseTo(expected, 15));
  });

  it('refuses an iteration outside the run', () => {
    expect(() => scheduledLearningRate({ ...base, learningRateSchedule: 'linear' }, 4)).toThrow(/iteration must be an integer in \[0, 4\)/);
    expect(() => scheduledLearningRate({ ...base, learningRateSchedule: 'linear' }, -1)).toThrow(RangeError);
    expect(() => scheduledLearningRate({ ...base, learningRateSchedule: 'constant' }, 1.5)).toThrow(RangeError);
  });
});
