import { bootstrapMeans, KL_ESTIMATORS, type KlEstimator, type MeanInterval, type Rng } from '@goodhart/core';
import { sample, type Model } from '@goodhart/model';
import { exactTokenKl, sampledKl, type KlEstimates } from '@goodhart/model/kl';
import { buildBatch, frozenLogProbs, responseValues } from './batch.ts';

/** One evaluation sample: a fresh response to an evaluation prompt from the current policy. */
export interface EvalSample {
  step: number;
  promptId: number;
  sampleIndex: number;
  tokens: number[];
  /** KL(π ‖ π_init) of the response every way: k1, k2, k3 and the exact per-token sum (model/src/kl-estimators.ts). */
  kl: KlEstimates;
  proxy: number;
  gold: number;
  /** The human's score of the same response (equal to gold when gold.kind is "lexicon"). */
  human: number;
}

export interface EvalPoint {
  step: number;
  /** Each estimator's mean over the step's samples, with its bootstrap interval over prompts. */
  kl: Record<KlEstimator, MeanInterval>;
  /** Fraction of the step's samples whose k1 is below 0. */
  k1Negative: number;
  /** sqrt(max(exact KL, 0)), the paper's x axis. */
  d: number;
  gold: MeanInterval;
  proxy: MeanInterval;
  human: MeanInterval;
  responseLength: number;
}

/** Iteration 0 and about `points − 1` iterations spaced geometrically from 1 to `iterations`. */
export function evaluationSteps(iterations: number, points: number): number[] {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`points must be an integer ≥ 2, got ${points}`);
  const steps = new Set<number>([0, iterations]);
  const spans = points - 2;
  for (let k = 0; k <= spans; k++) steps.add(Math.round(iterations ** (spans === 0 ? 1 : k / spans)));
  return [...steps].sort((a, b) => a - b);
}

/**
 * Samples `samplesPerPrompt` responses per evaluation prompt from the policy and measures each: KL against the
 * reference as k1, k2 and k3 from full forward passes of both models and as the exact per-token sum from both
 * models' next-token distributions (so the initial policy measures exactly 0 every way), the proxy score
 * and the gold and human scores (callbacks; the stage supplies the proxy RM, the gold and the human).
 */
export function evaluatePolicy(
  policy: Model,
  reference: Model,
  prompts: readonly { promptId: number; tokens: readonly number[] }[],
  options: { step: number; samplesPerPrompt: number; batchSize: number; maxNewTokens: number; temperature: number; stopToken?: number },
  score: {
    proxy: (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => ArrayLike<number>;
    gold: (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => { gold: ArrayLike<number>; human: ArrayLike<number> };
  },
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
      { maxNewTokens: options.maxNewTokens, temperature: options.temperature, stopToken: options.stopToken },
      rng.fork(`batch/${start}`),
    );
    const batch = buildBatch(promptTokens, tokens);
    const logPolicy = frozenLogProbs(policy, batch);
    const logReference = frozenLogProbs(reference, batch);
    const exact = exactTokenKl(policy, reference, promptTokens, tokens);
    const proxy = score.proxy(promptTokens, tokens);
    const { gold, human } = score.gold(promptTokens, tokens);
    chunk.forEach((job, b) => {
      const sampled = sampledKl(responseValues(batch, logPolicy, b), responseValues(batch, logReference, b));
      out.push({
        step: options.step,
        promptId: job.prompt.promptId,
        sampleIndex: job.sampleIndex,
        tokens: tokens[b],
        kl: { ...sampled, exact: exact[b] },
        proxy: proxy[b],
        gold: gold[b],
        human: human[b],
      });
    });
  }
  return out;
}

/** Per-prompt means of one step's samples, in order of first appearance of each prompt. */
export function perPromptMeans(samples: readonly EvalSample[]): {
  promptIds: number[];
  kl: Record<KlEstimator, Float64Array>;
  gold: Float64Array;
  proxy: Float64Array;
  human: Float64Array;
} {
  const groups = new Map<number, EvalSample[]>();
  for (const s of samples) {
    const group = groups.get(s.promptId);
    if (group) group.push(s);
    else groups.set(s.promptId, [s]);
  }
  const promptIds = [...groups.keys()];
  const perPrompt = (value: (s: EvalSample) => number): Float64Array =>
    Float64Array.from(promptIds, (id) => {
      const rows = groups.get(id)!;
      return rows.reduce((a, r) => a + value(r), 0) / rows.length;
    });
  return {
    promptIds,
    kl: klRecord((estimator) => perPrompt((s) => s.kl[estimator])),
    gold: perPrompt((s) => s.gold),
    proxy: perPrompt((s) => s.proxy),
    human: perPrompt((s) => s.human),
  };
}

/** A curve point from one step's samples, with percentile bootstrap intervals over prompts (one joint resampling). */
export function summariseStep(samples: readonly EvalSample[], options: { resamples: number; confidence: number; rng: Rng }): EvalPoint {
  if (samples.length === 0) throw new RangeError('no evaluation samples');
  const { kl, gold, proxy, human } = perPromptMeans(samples);
  const [goldInterval, proxyInterval, humanInterval, ...klIntervals] = bootstrapMeans(
    [gold, proxy, human, ...KL_ESTIMATORS.map((estimator) => kl[estimator])],
    options,
  );
  const klInterval = klRecord((_, k) => klIntervals[k]);
  return {
    step: samples[0].step,
    kl: klInterval,
    k1Negative: samples.filter((s) => s.kl.k1 < 0).length / samples.length,
    d: Math.sqrt(Math.max(klInterval.exact.mean, 0)),
    gold: goldInterval,
    proxy: proxyInterval,
    human: humanInterval,
    responseLength: samples.reduce((a, s) => a + s.tokens.length, 0) / samples.length,
  };
}

function klRecord<T>(value: (estimator: KlEstimator, index: number) => T): Record<KlEstimator, T> {
  return Object.fromEntries(KL_ESTIMATORS.map((estimator, k) => [estimator, value(estimator, k)])) as Record<KlEstimator, T>;
}
