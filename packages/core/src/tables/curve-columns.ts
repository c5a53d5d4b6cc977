/**
 * Columns the policy-training stages' tables share (PPO's and DPO's): the same quantities measured the same way on
 * the evaluation prompts, so they are declared once. Each block is spread into a table's columns where it belongs.
 */

/** KL from the initial policy with its bootstrap interval over prompts. */
export const KL_INTERVAL_COLUMNS = {
  kl: { type: 'float64', meaning: 'mean KL from the initial policy, Σ_t (log π − log π_init) per response (nats)' },
  kl_low: { type: 'float64', meaning: "KL's bootstrap interval over prompts: low end" },
  kl_high: { type: 'float64', meaning: "KL's bootstrap interval over prompts: high end" },
} as const;

/** Gold with its bootstrap interval over prompts. */
export const GOLD_INTERVAL_COLUMNS = {
  gold: { type: 'float64', meaning: 'mean gold score of the evaluation responses' },
  gold_low: { type: 'float64', meaning: "gold's bootstrap interval over prompts: low end" },
  gold_high: { type: 'float64', meaning: "gold's bootstrap interval over prompts: high end" },
} as const;

/** The human's score with its bootstrap interval over prompts. */
export const HUMAN_INTERVAL_COLUMNS = {
  human: { type: 'float64', meaning: "the human labeller's mean score of the same responses (beside the gold)" },
  human_low: { type: 'float64', meaning: "human's bootstrap interval: low end" },
  human_high: { type: 'float64', meaning: "human's bootstrap interval: high end" },
} as const;

/** The key of a per-prompt row behind a curve point, and its KL and gold. */
export const PER_PROMPT_COLUMNS = {
  run: { type: 'utf8', meaning: 'the run name, as in the curve' },
  step: { type: 'int32', meaning: 'the evaluation step' },
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  kl: { type: 'float64', meaning: "this prompt's mean KL from the initial policy (nats)" },
  gold: { type: 'float64', meaning: "this prompt's mean gold score" },
} as const;

/** An evaluation response: its key, its tokens and text, and its KL. */
export const EVAL_SAMPLE_COLUMNS = {
  step: { type: 'int32', meaning: 'the evaluation step' },
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  sample_index: { type: 'int32', meaning: "the sample's index among its prompt's evaluation samples" },
  response_tokens: { type: 'int32list', meaning: 'the response in tokens' },
  response: { type: 'utf8', meaning: 'the response as text' },
  kl: { type: 'float64', meaning: 'Σ_t (log π − log π_init) over the response (nats)' },
} as const;
