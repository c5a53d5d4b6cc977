import { defineTable } from '../columns.ts';

/** bon/pool/pool.parquet: the initial policy's samples for each evaluation prompt, with gold. */
export const POOL_TABLE = defineTable('pool.parquet', {
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  sample_index: { type: 'int32', meaning: "the sample's index among its prompt's bon.pool.samplesPerPrompt samples" },
  response_tokens: { type: 'int32list', meaning: 'the response in tokens (end-of-text included when the policy stopped)' },
  response: { type: 'utf8', meaning: 'the response as text' },
  gold_raw: { type: 'float64', meaning: 'the gold scorer on the response, before normalisation' },
  gold: { type: 'float64', meaning: "gold in label's units: (raw − mean) / sd over the initial policy's samples" },
  human_raw: { type: 'float64', meaning: 'the human labeller on the response, before normalisation' },
  human: { type: 'float64', meaning: 'the human in its own units from label (equal to gold for a lexicon gold)' },
});

/**
 * bon/scores/<model>/scores.parquet: one proxy's centred score of every pool sample, in pool order. The model is a
 * cell, or a source with a model of its own (a weight average); an ensemble is not scored: its curve combines its
 * members' scores.
 */
export const SCORES_TABLE = defineTable('scores.parquet', {
  prompt_id: { type: 'int32', meaning: 'the pool row this score is for: its prompt' },
  sample_index: { type: 'int32', meaning: "and that prompt's sample" },
  proxy: { type: 'float64', meaning: "the proxy's raw reward plus its centring shift (initial policy's mean proxy score 0)" },
});

/** bon/curves/curves.parquet: each proxy's best-of-n curve, one row per (proxy, n), averaged over prompts. */
export const CURVES_TABLE = defineTable('curves.parquet', {
  proxy: { type: 'utf8', meaning: 'the proxy cell (proxy/<cell>) or the source (`sources`) whose scores chose the best of n' },
  size: { type: 'utf8', meaning: "the proxy's model size (a source's members')" },
  comparisons: { type: 'int32', meaning: "the comparisons the proxy was trained on (a source's members')" },
  seed: { type: 'int32', meaning: "the proxy's training seed (−1 for a source: its members have several)" },
  n: { type: 'int32', meaning: 'samples per prompt the best is chosen from' },
  kl: { type: 'float64', meaning: 'the analytic best-of-n KL, log n − (n − 1)/n (nats)' },
  d: { type: 'float64', meaning: 'sqrt(kl): the distance the fits use' },
  kl_exact: { type: 'float64', meaning: "the exact KL of best-of-n from each prompt's pool as a discrete distribution (repeats counted), averaged" },
  gold: { type: 'float64', meaning: 'mean gold of the best-of-n sample over prompts (unbiased estimator)' },
  gold_low: { type: 'float64', meaning: "gold's bootstrap interval over prompts: low end" },
  gold_high: { type: 'float64', meaning: "gold's bootstrap interval over prompts: high end" },
  proxy_score: { type: 'float64', meaning: "mean proxy score of the best-of-n sample (the proxy's own view)" },
  proxy_low: { type: 'float64', meaning: "proxy score's bootstrap interval: low end" },
  proxy_high: { type: 'float64', meaning: "proxy score's bootstrap interval: high end" },
  human: { type: 'float64', meaning: "the human labeller's mean score of the same best-of-n samples (beside the gold)" },
  human_low: { type: 'float64', meaning: "human's bootstrap interval: low end" },
  human_high: { type: 'float64', meaning: "human's bootstrap interval: high end" },
});

/** bon/curves/curves_by_prompt.parquet: the per-prompt estimates behind each curve point (fit bootstraps over them). */
export const CURVES_BY_PROMPT_TABLE = defineTable('curves_by_prompt.parquet', {
  proxy: { type: 'utf8', meaning: 'the proxy cell or source, as in curves.parquet' },
  n: { type: 'int32', meaning: 'samples per prompt the best is chosen from' },
  d: { type: 'float64', meaning: 'sqrt of the analytic best-of-n KL at this n' },
  prompt_id: { type: 'int32', meaning: 'the evaluation prompt (label/eval_prompts.parquet)' },
  gold: { type: 'float64', meaning: "this prompt's unbiased best-of-n gold estimate" },
  human: { type: 'float64', meaning: "this prompt's unbiased best-of-n human estimate" },
});

/** bon/curves/regressional.parquet: finding 8's synthetic proxy = gold + Gaussian noise, run through the same estimator. */
export const REGRESSIONAL_TABLE = defineTable('regressional.parquet', {
  n: { type: 'int32', meaning: 'samples per prompt the best is chosen from' },
  d: { type: 'float64', meaning: 'sqrt of the analytic best-of-n KL at this n' },
  gold: { type: 'float64', meaning: 'mean synthetic gold of the best-of-n sample' },
  gold_low: { type: 'float64', meaning: "gold's bootstrap interval: low end" },
  gold_high: { type: 'float64', meaning: "gold's bootstrap interval: high end" },
  predicted: { type: 'float64', meaning: 'ρ·σ_gold·E[max of n standard normals]: the regressional prediction' },
  rho: { type: 'float64', meaning: 'correlation of the synthetic proxy with gold (same on every row)' },
  gold_std: { type: 'float64', meaning: 'standard deviation of the synthetic gold (same on every row)' },
  noise_std: { type: 'float64', meaning: "standard deviation of the proxy's Gaussian noise (same on every row)" },
});
