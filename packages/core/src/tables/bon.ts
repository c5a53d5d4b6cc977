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

/** bon/scores/<cell>/scores.parquet: one proxy's centred score of every pool sample, in pool order. */
export const SCORES_TABLE = defineTable('scores.parquet', {
  prompt_id: { type: 'int32', meaning: 'the pool row this score is for: its prompt' },
  sample_index: { type: 'int32', meaning: "and that prompt's sample" },
  proxy: { type: 'float64', meaning: "the proxy's raw reward plus its centring shift (initial policy's mean proxy score 0)" },
});
