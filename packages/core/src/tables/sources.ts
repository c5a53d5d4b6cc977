import { defineTable } from '../columns.ts';

/**
 * fit/sources_bon.parquet: one row per reward source (written only when the preset declares `sources`): its best-of-n
 * gold at the largest n against the mean of its single members' on the same prompts, with paired bootstrap intervals
 * over prompts (finding 9).
 */
export const SOURCES_BON_TABLE = defineTable('sources_bon.parquet', {
  source: { type: 'utf8', meaning: 'the source (a name of `sources`)' },
  kind: { type: 'utf8', meaning: '"ensemble" or "weightAverage"' },
  objective: { type: 'utf8', meaning: 'an ensemble\'s objective ("mean", "worst", "uncertainty"); "" for a weight average' },
  members: { type: 'utf8', meaning: 'the member cells, space-separated' },
  n: { type: 'int32', meaning: 'the largest n of the curves' },
  gold: { type: 'float64', meaning: "the source's best-of-n gold at n (mean over prompts)" },
  gold_low: { type: 'float64', meaning: 'its bootstrap interval over prompts: low end' },
  gold_high: { type: 'float64', meaning: 'its bootstrap interval over prompts: high end' },
  members_gold: { type: 'float64', meaning: "the mean over members of each single member's best-of-n gold at n" },
  members_low: { type: 'float64', meaning: 'its bootstrap interval: low end' },
  members_high: { type: 'float64', meaning: 'its bootstrap interval: high end' },
  gain: { type: 'float64', meaning: 'gold − members_gold, paired over prompts' },
  gain_low: { type: 'float64', meaning: "the gain's bootstrap interval: low end" },
  gain_high: { type: 'float64', meaning: "the gain's bootstrap interval: high end" },
  baseline_gold: { type: 'float64', meaning: "the members' mean gold at the smallest n (n = 1: the initial policy)" },
  members_gain: { type: 'float64', meaning: 'members_gold − baseline_gold: what the single members gain by best-of-n' },
  members_gain_low: { type: 'float64', meaning: "the members' gain's bootstrap interval: low end" },
  members_gain_high: { type: 'float64', meaning: "the members' gain's bootstrap interval: high end" },
  relative_gain: {
    type: 'float64',
    meaning:
      "gain / members_gain: the source's extra gold as a fraction of what its members gain over the initial policy (Coste et al.'s percentages); null when members_gain_low ≤ 0",
  },
  relative_low: { type: 'float64', meaning: "gain_low / members_gain (the interval carries the gain's uncertainty only); null with relative_gain" },
  relative_high: { type: 'float64', meaning: 'gain_high / members_gain; null with relative_gain' },
  members_beaten: { type: 'int32', meaning: 'how many single members have a lower gold at n than the source' },
});

/**
 * fit/sources_rl.parquet: one row per PPO run against a source, and per run against one of its member cells (written
 * only when the preset declares `sources`): its peak gold chosen on one half of the evaluation prompts and measured,
 * with the final gold, on the other half (finding 9).
 */
export const SOURCES_RL_TABLE = defineTable('sources_rl.parquet', {
  run: { type: 'utf8', meaning: 'the PPO run' },
  proxy: { type: 'utf8', meaning: 'the cell or source it optimises' },
  kind: { type: 'utf8', meaning: '"cell", "ensemble" or "weightAverage"' },
  objective: { type: 'utf8', meaning: 'an ensemble\'s objective; "" otherwise' },
  kl_coefficient: { type: 'float64', meaning: "the run's β_KL" },
  policy: { type: 'utf8', meaning: 'the policy size' },
  peak_iteration: { type: 'int32', meaning: 'the evaluation with the most gold on the selection half of the prompts' },
  peak_gold: { type: 'float64', meaning: 'gold there, on the other half' },
  peak_low: { type: 'float64', meaning: "its t interval over that half's prompts: low end" },
  peak_high: { type: 'float64', meaning: 'its t interval: high end' },
  final_gold: { type: 'float64', meaning: 'gold at the last evaluation, on the same half' },
  fall: { type: 'float64', meaning: 'peak_gold − final_gold, paired over prompts' },
  fall_low: { type: 'float64', meaning: "the fall's t interval over that half's prompts: low end" },
  fall_high: { type: 'float64', meaning: "the fall's t interval: high end" },
  falls: { type: 'bool', meaning: "whether the fall's interval lies above 0" },
});
