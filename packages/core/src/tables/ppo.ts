import { defineTable } from '../columns.ts';
import { EVAL_SAMPLE_COLUMNS, GOLD_INTERVAL_COLUMNS, HUMAN_INTERVAL_COLUMNS, KL_INTERVAL_COLUMNS, PER_PROMPT_COLUMNS } from './curve-columns.ts';

/** A PPO run's curve: one row per evaluation step, intervals bootstrapped over prompts. */
const CURVE_COLUMNS = {
  run: { type: 'utf8', meaning: 'the run name (ppo/runs/<run>)' },
  proxy: { type: 'utf8', meaning: 'the proxy cell the run optimises' },
  policy: { type: 'utf8', meaning: 'the policy size being trained' },
  kl_coefficient: { type: 'float64', meaning: "the KL penalty's coefficient in the reward" },
  step: { type: 'int32', meaning: 'the training iteration this evaluation ran after (0: the initial policy)' },
  ...KL_INTERVAL_COLUMNS,
  kl_k3: { type: 'float64', meaning: 'the non-negative k3 estimate of the same KL' },
  d: { type: 'float64', meaning: 'sqrt(max(kl, 0)): the distance the fits use' },
  ...GOLD_INTERVAL_COLUMNS,
  proxy_score: { type: 'float64', meaning: 'mean proxy score of the evaluation responses' },
  proxy_low: { type: 'float64', meaning: "proxy score's bootstrap interval: low end" },
  proxy_high: { type: 'float64', meaning: "proxy score's bootstrap interval: high end" },
  response_length: { type: 'float64', meaning: 'mean response length in tokens' },
  ...HUMAN_INTERVAL_COLUMNS,
} as const;

/** Per-prompt means behind each curve point, so the fits can bootstrap over prompts. */
const CURVE_BY_PROMPT_COLUMNS = {
  ...PER_PROMPT_COLUMNS,
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
  ...EVAL_SAMPLE_COLUMNS,
  kl_k3: { type: 'float64', meaning: 'the non-negative k3 estimate of the same KL' },
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
