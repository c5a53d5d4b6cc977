import { Progress, type Rng } from '@goodhart/core';
import { sample, type BpeTokenizer, type PromptRow, type Model } from '@goodhart/model';

export interface PolicySample {
  promptId: number;
  sampleIndex: number;
  /** Response tokens as generated, ending with end-of-text when the policy stopped by itself. */
  tokens: number[];
  text: string;
  ended: boolean;
}

/** `samplesPerPrompt` responses per prompt from the policy, batched over prompts, with progress lines. */
export function samplePolicy(
  policy: Model,
  tokenizer: BpeTokenizer,
  prompts: readonly PromptRow[],
  options: { samplesPerPrompt: number; responseTokens: number; temperature: number; batchSize: number; label: string },
  rng: Rng,
): PolicySample[] {
  const longest = Math.max(...prompts.map((p) => p.tokens.length));
  if (longest + options.responseTokens > policy.config.contextLength) {
    throw new Error(
      `the longest prompt has ${longest} tokens; with label.responseTokens ${options.responseTokens} it exceeds the policy's context length ${policy.config.contextLength} (lower label.responseTokens or prompts.maxWords, or raise pretrain.contextLength)`,
    );
  }
  const out: PolicySample[] = [];
  const progress = new Progress({ label: options.label, total: prompts.length * options.samplesPerPrompt, unit: 'samples' });
  for (let start = 0; start < prompts.length; start += options.batchSize) {
    const batch = prompts.slice(start, start + options.batchSize);
    const rows = batch.flatMap((prompt) => Array.from({ length: options.samplesPerPrompt }, () => prompt.tokens));
    const result = sample(policy, rows, { maxNewTokens: options.responseTokens, temperature: options.temperature, stopToken: tokenizer.endOfText }, rng);
    result.tokens.forEach((generated, row) => {
      const prompt = batch[Math.floor(row / options.samplesPerPrompt)];
      const ended = generated.at(-1) === tokenizer.endOfText;
      // The reward models score exactly what the policy produced, end-of-text included; the text omits it.
      out.push({ promptId: prompt.promptId, sampleIndex: row % options.samplesPerPrompt, tokens: generated, text: tokenizer.decode(generated), ended });
    });
    progress.update(out.length);
  }
  return out;
}
