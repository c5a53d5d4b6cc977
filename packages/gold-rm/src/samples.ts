import { Progress, type Rng } from '@goodhart/core';
import { sample, type BpeTokenizer, type Model, type PromptRow } from '@goodhart/model';

/** One temperature × length budget the initial policy is sampled at. */
export interface SamplingSetting {
  temperature: number;
  responseTokens: number;
}

export interface GoldSample {
  promptId: number;
  /** Index into the settings (temperature-major). */
  setting: number;
  temperature: number;
  responseTokens: number;
  /** 0..samplesPerSetting−1 within the prompt and setting. */
  repeat: number;
  /** As generated, end-of-text included when the policy stopped within the budget. */
  tokens: number[];
  text: string;
  ended: boolean;
}

/** Every temperature × length, temperature-major: each prompt gets samples at all of them. */
export function samplingSettings(temperatures: readonly number[], responseTokens: readonly number[]): SamplingSetting[] {
  return temperatures.flatMap((temperature) => responseTokens.map((tokens) => ({ temperature, responseTokens: tokens })));
}

/**
 * The gold RM's prompts: pretrain's prompts in order, minus label's evaluation prompts (best-of-n and RL are
 * measured on those, so the gold never trains on them) and minus prompts too long for the longest response budget
 * in the policy's context; the first `count` of the rest.
 */
export function choosePrompts(
  prompts: readonly PromptRow[],
  options: { count: number; heldOut: ReadonlySet<number>; longestResponse: number; contextLength: number },
): { chosen: PromptRow[]; tooLong: number } {
  const room = options.contextLength - options.longestResponse;
  const chosen: PromptRow[] = [];
  let tooLong = 0;
  for (const prompt of prompts) {
    if (chosen.length === options.count) break;
    if (options.heldOut.has(prompt.promptId)) continue;
    if (prompt.tokens.length > room) {
      tooLong++;
      continue;
    }
    chosen.push(prompt);
  }
  if (chosen.length < options.count) {
    throw new Error(
      `gold.model.prompts is ${options.count}, but only ${chosen.length} of pretrain's prompts are neither evaluation prompts nor longer than ${room} tokens (context ${options.contextLength} − longest gold.model.responseTokens ${options.longestResponse}); lower gold.model.prompts or raise prompts.count`,
    );
  }
  return { chosen, tooLong };
}

/**
 * Samples of the initial policy for every prompt at every setting, `samplesPerSetting` each, batched over prompts.
 * Each setting draws from its own stream, so adding a temperature leaves the other settings' samples unchanged.
 */
export function sampleSettings(
  policy: Model,
  tokenizer: BpeTokenizer,
  prompts: readonly PromptRow[],
  settings: readonly SamplingSetting[],
  options: { samplesPerSetting: number; batchSize: number },
  rng: Rng,
): GoldSample[] {
  const out: GoldSample[] = [];
  const progress = new Progress({ label: 'gold-rm: policy samples', total: prompts.length * settings.length * options.samplesPerSetting, unit: 'samples' });
  settings.forEach((setting, index) => {
    const stream = rng.fork(`setting/t${setting.temperature}/n${setting.responseTokens}`);
    for (let start = 0; start < prompts.length; start += options.batchSize) {
      const batch = prompts.slice(start, start + options.batchSize);
      const rows = batch.flatMap((prompt) => Array.from({ length: options.samplesPerSetting }, () => prompt.tokens));
      const result = sample(policy, rows, { maxNewTokens: setting.responseTokens, temperature: setting.temperature, stopToken: tokenizer.endOfText }, stream);
      result.tokens.forEach((generated, row) => {
        out.push({
          promptId: batch[Math.floor(row / options.samplesPerSetting)].promptId,
          setting: index,
          temperature: setting.temperature,
          responseTokens: setting.responseTokens,
          repeat: row % options.samplesPerSetting,
          tokens: generated,
          text: tokenizer.decode(generated),
          ended: generated.at(-1) === tokenizer.endOfText,
        });
      });
      progress.update(out.length);
    }
  });
  return out;
}
