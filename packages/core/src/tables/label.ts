import { defineTable } from '../columns.ts';

/** label/samples.parquet: the initial policy's responses to the RM prompts, with gold. */
export const SAMPLES_TABLE = defineTable('samples.parquet', {
  prompt_id: { type: 'int32', meaning: 'the RM prompt (pretrain/prompts.parquet)' },
  sample_index: { type: 'int32', meaning: "the sample's index among its prompt's label.samplesPerPrompt samples" },
  prompt_tokens: { type: 'int32list', meaning: 'the prompt in tokens' },
  response: { type: 'utf8', meaning: 'the response as text' },
  response_tokens: { type: 'int32list', meaning: 'the response in tokens (end-of-text included when the policy stopped)' },
  ended: { type: 'bool', meaning: 'whether the policy stopped before label.responseTokens' },
  gold_raw: { type: 'float64', meaning: 'the gold scorer on the response, before normalisation' },
  gold: { type: 'float64', meaning: "gold normalised over these samples (label's units: every later gold is in them)" },
  human_raw: { type: 'float64', meaning: "the human labeller (lexicon terms and the reader's fluency) on the response, before normalisation" },
  human: { type: 'float64', meaning: "the human normalised over these samples (the human's units; equal to gold for a lexicon gold)" },
});

/** label/comparisons.parquet: every pair of a prompt's responses; training rows first, pre-shuffled. */
export const COMPARISONS_TABLE = defineTable('comparisons.parquet', {
  split: { type: 'utf8', meaning: '"train" or "validation" (by prompt: validation prompts are never trained on)' },
  prompt_id: { type: 'int32', meaning: 'the RM prompt' },
  prompt: { type: 'utf8', meaning: 'the prompt as text' },
  prompt_tokens: { type: 'int32list', meaning: 'the prompt in tokens' },
  response_a: { type: 'utf8', meaning: 'the first response as text' },
  tokens_a: { type: 'int32list', meaning: 'the first response in tokens' },
  response_b: { type: 'utf8', meaning: 'the second response as text' },
  tokens_b: { type: 'int32list', meaning: 'the second response in tokens' },
  gold_a: { type: 'float64', meaning: "the first response's gold" },
  gold_b: { type: 'float64', meaning: "the second response's gold" },
  preferred: { type: 'int32', meaning: "the RM's label: 0 = a, 1 = b (noisy when label.labelNoise > 0)" },
  gold_preferred: { type: 'int32', meaning: 'the response gold prefers: 0 = a, 1 = b' },
  flipped: { type: 'bool', meaning: 'whether label noise replaced the gold label with a coin flip that disagreed' },
  human_a: { type: 'float64', meaning: "the first response's human score" },
  human_b: { type: 'float64', meaning: "the second response's human score" },
  human_preferred: { type: 'int32', meaning: 'the response the human prefers: 0 = a, 1 = b, −1 when it scores both the same' },
});
