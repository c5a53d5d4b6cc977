import { bootstrapMeans, type MeanInterval, type Rng } from '@goodhart/core';
import { sample, type Model } from '@goodhart/model';
import { buildBatch, frozenLogProbs, responseValues } from './batch.ts';
import { sequenceKl } from './kl.ts';

/** One evaluation sample: a fresh response to an evaluation prompt from the current policy. */
export interface EvalSample {
  step: number;
  promptId: number;
  sampleIndex: number;
  tokens: number[];
  /** Σ_t (log π − log π_init) over the response. */
  kl: number;
  /** The non-negative k3 estimate of the same KL. */
  k3: number;
  proxy: number;
  gold: number;
  /** The human's score of the same response (equal to gold when gold.kind is "lexicon"). */
  human: number;
}

export interface EvalPoint {
  step: number;
  kl: MeanInterval;
  k3: number;
  /** sqrt(max(KL, 0)), the paper's x axis. */
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
 * reference from full forward passes of both models (so the initial policy measures exactly 0), the proxy score
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
    const proxy = score.proxy(promptTokens, tokens);
    const { gold, human } = score.gold(promptTokens, tokens);
    chunk.forEach((job, b) => {
      const { kl, k3 } = sequenceKl(responseValues(batch, logPolicy, b), responseValues(batch, logReference, b));
      out.push({
        step: options.step,
        promptId: job.prompt.promptId,
        sampleIndex: job.sampleIndex,
        tokens: tokens[b],
        kl,
        k3,
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
  kl: Float64Array;
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
  const mean = (rows: EvalSample[], key: 'kl' | 'gold' | 'proxy' | 'human'): number => rows.reduce((a, r) => a + r[key], 0) / rows.length;
  return {
    promptIds,
    kl: Float64Array.from(promptIds, (id) => mean(groups.get(id)!, 'kl')),
    gold: Float64Array.from(promptIds, (id) => mean(groups.get(id)!, 'gold')),
    proxy: Float64Array.from(promptIds, (id) => mean(groups.get(id)!, 'proxy')),
    human: Float64Array.from(promptIds, (id) => mean(groups.get(id)!, 'human')),
  };
}

/** A curve point from one step's samples, with percentile bootstrap intervals over prompts. */
export function summariseStep(samples: readonly EvalSample[], options: { resamples: number; confidence: number; rng: Rng }): EvalPoint {
  if (samples.length === 0) throw new RangeError('no evaluation samples');
  const { kl, gold, proxy, human } = perPromptMeans(samples);
  const [klInterval, goldInterval, proxyInterval, humanInterval] = bootstrapMeans([kl, gold, proxy, human], options);
  return {
    step: samples[0].step,
    kl: klInterval,
    k3: samples.reduce((a, s) => a + s.k3, 0) / samples.length,
    d: Math.sqrt(Math.max(klInterval.mean, 0)),
    gold: goldInterval,
    proxy: proxyInterval,
    human: humanInterval,
    responseLength: samples.reduce((a, s) => a + s.tokens.length, 0) / samples.length,
  };
}
