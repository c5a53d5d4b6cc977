import { bootstrapMeans, type MeanInterval, type Rng } from '@goodhart/core';
import { sample, type Model } from '@goodhart/model';
import { sequenceK1 } from './kl-k1.ts';
import { comparisonLogProbs, responseBatch, responseLogProbs, type Comparison } from './pair-batch.ts';

/** One evaluation sample: a fresh response to an evaluation prompt from the current policy. */
export interface EvalSample {
  step: number;
  promptId: number;
  sampleIndex: number;
  tokens: number[];
  /** k1: Σ_t (log π − log π_init) over the response. */
  kl: number;
  gold: number;
  /** The human's score of the same response (equal to gold when gold.kind is "lexicon"). */
  human: number;
}

/** A held-out comparison with the label the RM would have trained on and the gold's preference. */
export interface HeldOutComparison extends Comparison {
  /** Whether the gold prefers `chosen` (the labelled preferred response); false when label noise flipped it. */
  goldAgrees: boolean;
}

export interface EvalPoint {
  step: number;
  kl: MeanInterval;
  /** sqrt(max(KL, 0)), the paper's x axis. */
  d: number;
  gold: MeanInterval;
  human: MeanInterval;
  /** Mean β·k1 of the samples: the implicit reward of what the policy now writes. */
  implicitReward: number;
  /** Share of held-out comparisons whose label (and whose gold preference) the implicit reward orders right. */
  implicitAccuracy: number;
  implicitGoldAccuracy: number;
  responseLength: number;
}

/**
 * Step 0, the last step, and about `points − 2` steps between them spaced geometrically, so the early rise (where
 * direct alignment moves fastest) is as well sampled as the long tail.
 */
export function evaluationSteps(totalSteps: number, points: number): number[] {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be a positive integer, got ${totalSteps}`);
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`points must be an integer ≥ 2, got ${points}`);
  // points − 1 evaluations after step 0, geometric from step 1 to the last (fewer when steps are fewer).
  const after = points - 1;
  const steps = new Set<number>([0, totalSteps]);
  for (let k = 0; k < after; k++) steps.add(Math.round(totalSteps ** (after === 1 ? 1 : k / (after - 1))));
  return [...steps].sort((a, b) => a - b);
}

export interface SampleEvaluation {
  step: number;
  samplesPerPrompt: number;
  batchSize: number;
  maxNewTokens: number;
  stopToken?: number;
}

/**
 * `samplesPerPrompt` responses per evaluation prompt from the policy at temperature 1 (the policy itself, as KL
 * assumes), each with its k1 KL from the reference (full forward passes of both models, so the initial policy
 * measures exactly 0) and its gold and human scores.
 */
export function evaluateSamples(
  policy: Model,
  reference: Model,
  prompts: readonly { promptId: number; tokens: readonly number[] }[],
  options: SampleEvaluation,
  goldScore: (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => { gold: ArrayLike<number>; human: ArrayLike<number> },
  rng: Rng,
): EvalSample[] {
  const jobs = prompts.flatMap((prompt) => Array.from({ length: options.samplesPerPrompt }, (_, sampleIndex) => ({ prompt, sampleIndex })));
  const out: EvalSample[] = [];
  for (let start = 0; start < jobs.length; start += options.batchSize) {
    const chunk = jobs.slice(start, start + options.batchSize);
    const promptTokens = chunk.map((job) => job.prompt.tokens);
    const { tokens } = sample(
      policy,
      promptTokens,
      { maxNewTokens: options.maxNewTokens, temperature: 1, stopToken: options.stopToken },
      rng.fork(`batch/${start}`),
    );
    const batch = responseBatch(promptTokens, tokens);
    const logPolicy = policy.forward(batch.tokens, { targets: batch.targets }).logProbs!;
    const logReference = reference.forward(batch.tokens, { targets: batch.targets }).logProbs!;
    const { gold, human } = goldScore(promptTokens, tokens);
    chunk.forEach((job, b) => {
      out.push({
        step: options.step,
        promptId: job.prompt.promptId,
        sampleIndex: job.sampleIndex,
        tokens: tokens[b],
        kl: sequenceK1(responseLogProbs(batch, logPolicy, b), responseLogProbs(batch, logReference, b)),
        gold: gold[b],
        human: human[b],
      });
    });
  }
  return out;
}

/** Shares of held-out comparisons the implicit reward margin β·h orders as the label, and as the gold. */
export function implicitAccuracy(
  policy: Model,
  comparisons: readonly HeldOutComparison[],
  reference: { chosen: ArrayLike<number>; rejected: ArrayLike<number> },
  batchSize: number,
): { label: number; gold: number } {
  if (comparisons.length === 0) return { label: Number.NaN, gold: Number.NaN };
  const current = comparisonLogProbs(policy, comparisons, batchSize);
  let label = 0;
  let gold = 0;
  comparisons.forEach((c, i) => {
    const margin = current.chosen[i] - current.rejected[i] - (reference.chosen[i] - reference.rejected[i]);
    // A tie (margin 0, as at step 0) counts half: the implicit reward does not order the pair.
    const right = margin > 0 ? 1 : margin === 0 ? 0.5 : 0;
    label += right;
    gold += c.goldAgrees ? right : 1 - right;
  });
  return { label: label / comparisons.length, gold: gold / comparisons.length };
}

/** Per-prompt means of one step's samples, in order of first appearance of each prompt. */
export function perPromptMeans(samples: readonly EvalSample[]): { promptIds: number[]; kl: Float64Array; gold: Float64Array; human: Float64Array } {
  const groups = new Map<number, EvalSample[]>();
  for (const s of samples) {
    const group = groups.get(s.promptId);
    if (group) group.push(s);
    else groups.set(s.promptId, [s]);
  }
  const promptIds = [...groups.keys()];
  const mean = (key: 'kl' | 'gold' | 'human') => (id: number) => {
    const rows = groups.get(id)!;
    return rows.reduce((a, r) => a + r[key], 0) / rows.length;
  };
  return {
    promptIds,
    kl: Float64Array.from(promptIds, mean('kl')),
    gold: Float64Array.from(promptIds, mean('gold')),
    human: Float64Array.from(promptIds, mean('human')),
  };
}

/** A curve point from one step's samples, with percentile bootstrap intervals over prompts (as PPO's curves). */
export function summariseStep(
  samples: readonly EvalSample[],
  accuracy: { label: number; gold: number },
  beta: number,
  options: { resamples: number; confidence: number; rng: Rng },
): EvalPoint {
  if (samples.length === 0) throw new RangeError('no evaluation samples');
  const { kl, gold, human } = perPromptMeans(samples);
  const [klInterval, goldInterval, humanInterval] = bootstrapMeans([kl, gold, human], options);
  return {
    step: samples[0].step,
    kl: klInterval,
    d: Math.sqrt(Math.max(klInterval.mean, 0)),
    gold: goldInterval,
    human: humanInterval,
    implicitReward: beta * klInterval.mean,
    implicitAccuracy: accuracy.label,
    implicitGoldAccuracy: accuracy.gold,
    responseLength: samples.reduce((a, s) => a + s.tokens.length, 0) / samples.length,
  };
}
