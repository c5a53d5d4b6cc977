import { defineTable } from '../columns.ts';

/** gold-rm/samples.parquet: the initial policy's samples the gold RM trains and is checked on, with both scores. */
export const GOLD_RM_SAMPLES_TABLE = defineTable('samples.parquet', {
  prompt_id: { type: 'int32', meaning: 'the prompt (pretrain/prompts.parquet; never one of label.evalPrompts)' },
  split: { type: 'utf8', meaning: '"train" or "validation" (by prompt: validation prompts are never trained on)' },
  temperature: { type: 'float64', meaning: 'the sampling temperature (one of gold.model.temperatures)' },
  max_tokens: { type: 'int32', meaning: 'the length budget (one of gold.model.responseTokens)' },
  repeat: { type: 'int32', meaning: "the sample's index among its prompt's samples at this temperature and length" },
  response_tokens: { type: 'int32list', meaning: 'the response in tokens (end-of-text included when the policy stopped)' },
  response: { type: 'utf8', meaning: 'the response as text' },
  ended: { type: 'bool', meaning: 'whether the policy stopped before the length budget' },
  human_raw: { type: 'float64', meaning: 'the human labeller on the response (raw)' },
  gold_raw: { type: 'float64', meaning: "the trained gold RM's reward (raw)" },
});

/** gold-rm/comparisons.parquet: every pair of a prompt's samples the human tells apart; training rows first. */
export const GOLD_RM_COMPARISONS_TABLE = defineTable('comparisons.parquet', {
  split: { type: 'utf8', meaning: '"train" or "validation"' },
  prompt_id: { type: 'int32', meaning: 'the prompt' },
  sample_a: { type: 'int32', meaning: 'the first sample (its row in samples.parquet)' },
  sample_b: { type: 'int32', meaning: 'the second sample (its row in samples.parquet)' },
  preferred: { type: 'int32', meaning: 'the response the human prefers: 0 = a, 1 = b' },
  human_a: { type: 'float64', meaning: "the first sample's human score (raw)" },
  human_b: { type: 'float64', meaning: "the second sample's human score (raw)" },
  gold_a: { type: 'float64', meaning: "the first sample's gold RM reward (raw)" },
  gold_b: { type: 'float64', meaning: "the second sample's gold RM reward (raw)" },
});

/** gold-rm/curve.parquet: the gold RM's training curve, one row per optimiser step. */
export const GOLD_RM_CURVE_TABLE = defineTable('curve.parquet', {
  step: { type: 'int32', meaning: 'the optimiser step' },
  epoch: { type: 'int32', meaning: 'the pass over the training comparisons' },
  loss: { type: 'float64', meaning: "this step's pairwise loss (nats)" },
  learning_rate: { type: 'float64', meaning: "this step's learning rate" },
  gradient_norm: { type: 'float64', meaning: "the gradient's global norm at this step" },
});
