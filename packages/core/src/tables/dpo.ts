import { defineTable } from '../columns.ts';
import { EVAL_SAMPLE_COLUMNS, GOLD_INTERVAL_COLUMNS, HUMAN_INTERVAL_COLUMNS, KL_INTERVAL_COLUMNS, PER_PROMPT_COLUMNS } from './curve-columns.ts';

/** A DPO run's curve: one row per evaluation step, intervals bootstrapped over prompts. */
const CURVE_COLUMNS = {
  run: { type: 'utf8', meaning: 'the run name (dpo/runs/<run>)' },
  proxy: { type: 'utf8', meaning: 'the proxy cell whose training comparisons the run learns from' },
  policy: { type: 'utf8', meaning: 'the policy size being trained (the first of policy.sizes)' },
  loss: { type: 'utf8', meaning: '"dpo" or "ipo"' },
  beta: { type: 'float64', meaning: "the loss's β" },
  step: { type: 'int32', meaning: 'the training step this evaluation ran after (0: the initial policy)' },
  epoch: { type: 'float64', meaning: 'passes over the comparisons by then (step × batch size / comparisons)' },
  ...KL_INTERVAL_COLUMNS,
  d: { type: 'float64', meaning: 'sqrt(max(kl, 0)): the distance the fits use' },
  ...GOLD_INTERVAL_COLUMNS,
  ...HUMAN_INTERVAL_COLUMNS,
  implicit_reward: { type: 'float64', meaning: 'mean implicit reward β·Σ_t (log π − log π_init) of the evaluation responses' },
  implicit_accuracy: { type: 'float64', meaning: "share of held-out comparisons whose label the implicit reward's ordering matches" },
  implicit_gold_accuracy: { type: 'float64', meaning: 'the same share against the gold preference' },
  response_length: { type: 'float64', meaning: 'mean response length in tokens' },
} as const;

/** Per-prompt means behind each curve point, so the fits can bootstrap over prompts. */
const CURVE_BY_PROMPT_COLUMNS = {
  ...PER_PROMPT_COLUMNS,
  human: { type: 'float64', meaning: "this prompt's mean human score" },
  implicit_reward: { type: 'float64', meaning: "this prompt's mean implicit reward" },
} as const;

/** dpo/runs/<run>/curve.parquet. */
export const DPO_CURVE_TABLE = defineTable('curve.parquet', CURVE_COLUMNS);
/** dpo/runs/<run>/curve_by_prompt.parquet. */
export const DPO_CURVE_BY_PROMPT_TABLE = defineTable('curve_by_prompt.parquet', CURVE_BY_PROMPT_COLUMNS);
/** dpo/summary/curves.parquet: every run's curve.parquet stacked, in run order. */
export const DPO_CURVES_TABLE = defineTable('curves.parquet', CURVE_COLUMNS);
/** dpo/summary/curves_by_prompt.parquet: every run's curve_by_prompt.parquet stacked, in run order. */
export const DPO_CURVES_BY_PROMPT_TABLE = defineTable('curves_by_prompt.parquet', CURVE_BY_PROMPT_COLUMNS);

/** dpo/runs/<run>/eval_samples.parquet: every evaluation response with its KL and scores. */
export const DPO_EVAL_SAMPLES_TABLE = defineTable('eval_samples.parquet', {
  ...EVAL_SAMPLE_COLUMNS,
  gold: { type: 'float64', meaning: "the response's gold score" },
  human: { type: 'float64', meaning: "the response's human score" },
});

/** dpo/runs/<run>/train.parquet: one row per training step. */
export const DPO_TRAIN_TABLE = defineTable('train.parquet', {
  step: { type: 'int32', meaning: 'the step (1-based)' },
  epoch: { type: 'float64', meaning: 'passes over the comparisons after this step' },
  loss: { type: 'float64', meaning: "the step's mean DPO or IPO loss over its comparisons" },
  accuracy: { type: 'float64', meaning: "share of the step's comparisons whose label the implicit reward orders right (before the update)" },
  margin: { type: 'float64', meaning: 'mean implicit reward margin β·h of the preferred over the other response (before the update)' },
  gradient_norm: { type: 'float64', meaning: 'global gradient norm before clipping' },
});
