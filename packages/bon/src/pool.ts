import { Progress, type Rng } from '@goodhart/core';
import { sample, type PromptRow, type Model } from '@goodhart/model';

export interface PoolSample {
  promptId: number;
  sampleIndex: number;
  /** As generated, end-of-text included when the policy stopped by itself. */
  tokens: number[];
}

/**
 * N samples per prompt from the initial policy. All rows of a batch share one prompt, so no padding is needed and
 * the KV cache is filled once per batch.
 */
export function samplePool(
  policy: Model,
  prompts: readonly PromptRow[],
  options: { samplesPerPrompt: number; responseTokens: number; temperature: number; batchSize: number; stopToken: number },
  rng: Rng,
): PoolSample[] {
  const longest = Math.max(...prompts.map((p) => p.tokens.length));
  if (longest + options.responseTokens > policy.config.contextLength) {
    throw new Error(
      `the longest evaluation prompt (${longest} tokens) + label.responseTokens (${options.responseTokens}) exceeds the policy's context length ${policy.config.contextLength}`,
    );
  }
  const total = prompts.length * options.samplesPerPrompt;
  const progress = new Progress({ label: 'bon pool', total, unit: 'samples' });
  const pool: PoolSample[] = [];
  for (const prompt of prompts) {
    for (let start = 0; start < options.samplesPerPrompt; start += options.batchSize) {
      const count = Math.min(options.batchSize, options.samplesPerPrompt - start);
      const rows = Array.from({ length: count }, () => prompt.tokens);
      const { tokens } = sample(policy, rows, { maxNewTokens: options.responseTokens, temperature: options.temperature, stopToken: options.stopToken }, rng);
      tokens.forEach((generated, i) => pool.push({ promptId: prompt.promptId, sampleIndex: start + i, tokens: generated }));
      progress.update(pool.length);
    }
  }
  return pool;
}

/** The 1-2-5 grid (1, 2, 5, 10, 20, 50, …) up to N, with N itself as the last point. */
export function oneTwoFiveGrid(maximum: number): number[] {
  const out: number[] = [];
  for (let decade = 1; decade <= maximum; decade *= 10) {
    for (const step of [1, 2, 5]) if (step * decade <= maximum) out.push(step * decade);
  }
  if (out.at(-1) !== maximum) out.push(maximum);
  return out;
}
