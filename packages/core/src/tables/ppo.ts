import { defineTable } from '../columns.ts';
import { GOLD_INTERVAL_COLUMNS, HUMAN_INTERVAL_COLUMNS } from './curve-columns.ts';

/** A PPO run's curve: one row per evaluation step, intervals bootstrapped over prompts. */
const CURVE_COLUMNS = {
  run: { type: 'utf8', meaning: 'the run name (ppo/runs/<run>)' },
  proxy: { type: 'utf8', meaning: 'the proxy cell the run optimises' },
  policy: { type: 'utf8', meaning: 'the policy size being trained' },
  kl_coefficient: { type: 'float64', meaning: "the KL penalty's coefficient in the reward" },
  step: { type: 'int32', meaning: 'the training iteration this evaluation ran after (0: the initial policy)' },
  kl: { type: 'float64', meaning: 'mean KL from the initial policy as k1 = Σ_t (log π − log π_init) per response (nats)' },
  kl_low: { type: 'float64', meaning: "k1's bootstrap interval over prompts: low end" },
  kl_high: { type: 'float64', meaning: "k1's bootstrap interval over prompts: high end" },
  kl_k2: { type: 'float64', meaning: "the same samples' KL as k2 = Σ_t ½ (log π − log π_init)² (biased, never negative)" },
  kl_k2_low: { type: 'float64', meaning: "k2's bootstrap interval over prompts: low end" },
  kl_k2_high: { type: 'float64', meaning: "k2's bootstrap interval over prompts: high end" },
  kl_k3: { type: 'float64', meaning: "the same samples' KL as k3 = Σ_t ((r − 1) − log r), r = π_init/π (unbiased, never negative)" },
  kl_k3_low: { type: 'float64', meaning: "k3's bootstrap interval over prompts: low end" },
  kl_k3_high: { type: 'float64', meaning: "k3's bootstrap interval over prompts: high end" },
  kl_exact: {
    type: 'float64',
    meaning: "the same samples' exact per-token KL, Σ_t KL(π(·|prefix) ‖ π_init(·|prefix)) over the whole vocabulary (unbiased, never negative)",
  },
  kl_exact_low: { type: 'float64', meaning: "exact per-token KL's bootstrap interval over prompts: low end" },
  kl_exact_high: { type: 'float64', meaning: "exact per-token KL's bootstrap interval over prompts: high end" },
  kl_k1_negative: { type: 'float64', meaning: 'fraction of the evaluation samples whose k1 is below 0' },
  d: { type: 'float64', meaning: 'sqrt(max(kl_exact, 0)): the distance the fits use' },
  ...GOLD_INTERVAL_COLUMNS,
  proxy_score: { type: 'float64', meaning: 'mean proxy score of the evaluation responses' },
  proxy_low: { type: 'float64', meaning: "proxy score's bootstrap interval: low end" },
  proxy_high: { type: 'float64', meaning: "proxy score's bootstrap interval: high end" },
  response_length: { type: 'float64', meaning: 'mean response length in tokens' },
  ...HUMAN_INTERVAL_COLUMNS,
} as const;

/** Per-prompt means behind each curve point, so the fits can bootstrap over prompts. */
const CURVE_BY_PROMPT_COLUMNS = {
  run: { type: 'utf8', meaning: 'the run name, as in the curve' },
  step: { type: 'int32', meaning: 'the evaluation step' },
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  kl: { type: 'float64', meaning: "this prompt's mean k1 KL from the initial policy (nats)" },
  kl_k2: { type: 'float64', meaning: "this prompt's mean k2" },
  kl_k3: { type: 'float64', meaning: "this prompt's mean k3" },
  kl_exact: { type: 'float64', meaning: "this prompt's mean exact per-token KL (what the fits bootstrap)" },
  gold: { type: 'float64', meaning: "this prompt's mean gold score" },
  proxy_score: { type: 'float64', meaning: "this prompt's mean proxy score" },
  human: { type: 'float64', meaning: "this prompt's mean human score" },
} as const;

/** ppo/runs/<run>/curve.parquet. */
export const PPO_CURVE_TABLE = defineTable('curve.parquet', CURVE_COLUMNS);
/** ppo/runs/<run>/curve_by_prompt.parquet. */
export const PPO_CURVE_BY_PROMPT_TABLE = defineTable('curve_by_prompt.parquet', CURVE_BY_PROMPT_COLUMNS);
/** ppo/summary/curves.parquet: every run's curve.parquet stacked, in run order. */
export const PPO_CURVES_TABLE = defineTable('curves.parquet', CURVE_COLUMNS);
/** ppo/summary/curves_by_prompt.parquet: every run's curve_by_prompt.parquet stacked, in run order. */
export const PPO_CURVES_BY_PROMPT_TABLE = defineTable('curves_by_prompt.parquet', CURVE_BY_PROMPT_COLUMNS);

/** ppo/runs/<run>/eval_samples.parquet: every evaluation response with its KL and scores. */
export const PPO_EVAL_SAMPLES_TABLE = defineTable('eval_samples.parquet', {
  step: { type: 'int32', meaning: 'the evaluation step' },
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  sample_index: { type: 'int32', meaning: "the sample's index among its prompt's evaluation samples" },
  response_tokens: { type: 'int32list', meaning: 'the response in tokens' },
  response: { type: 'utf8', meaning: 'the response as text' },
  kl: { type: 'float64', meaning: 'k1 = Σ_t (log π − log π_init) over the response (nats)' },
  kl_k2: { type: 'float64', meaning: 'k2 = Σ_t ½ (log π − log π_init)² over the response' },
  kl_k3: { type: 'float64', meaning: 'k3 = Σ_t ((r − 1) − log r), r = π_init/π, over the response' },
  kl_exact: { type: 'float64', meaning: 'Σ_t KL(π(·|prefix) ‖ π_init(·|prefix)) over the whole vocabulary along the response' },
  proxy_score: { type: 'float64', meaning: "the proxy RM's score of the response" },
  gold: { type: 'float64', meaning: 'the gold score of the response' },
  human: { type: 'float64', meaning: "the human's score of the response (equal to gold for a lexicon gold)" },
});

/** ppo/runs/<run>/train.parquet: one row per training iteration. */
export const PPO_TRAIN_TABLE = defineTable('train.parquet', {
  iteration: { type: 'int32', meaning: 'the training iteration' },
  proxy_score: { type: 'float64', meaning: "the rollout's mean reward-function score" },
  kl: { type: 'float64', meaning: 'mean over rollout responses of Σ_t (log π_old − log π_init) (nats)' },
  loss: { type: 'float64', meaning: 'mean total loss over the minibatch updates' },
  clip_fraction: { type: 'float64', meaning: 'fraction of policy ratios clipped in the updates' },
  response_length: { type: 'float64', meaning: 'mean rollout response length in tokens' },
});
