import { ConfigError, parsePipeline, type PipelineConfig, type PpoRun } from '@goodhart/core';
import type { PretrainArtifacts } from '@goodhart/model';
import {
  evaluateRun,
  evaluationSteps,
  hyperparametersFor,
  loadRunModels,
  perPromptMeans,
  requirePpo,
  runReward,
  trainPolicy,
  type InitialSample,
  type PpoHyperparameters,
  type ProxyModel,
  type RunEvaluation,
  type TrainingProgress,
} from '@goodhart/ppo';
import { curveShape, type CurveShape } from './curve-shape.ts';
import type { ListedPrompt } from './development-split.ts';

/** One candidate: fields of the preset's `ppo` section to change, plus the run's β_KL (klCoefficient) and policy size. */
export interface Candidate {
  name: string;
  why: string;
  overrides: Record<string, unknown>;
}

/** What a candidate trains: the preset with its overrides (validated as the pipeline file is) and its run. */
export interface CandidateSettings {
  config: PipelineConfig;
  run: PpoRun;
  hyperparameters: PpoHyperparameters;
}

/**
 * The preset with the candidate's overrides of its `ppo` section, checked by the pipeline's own schema, and the run
 * it trains: against the development proxy, with the candidate's β_KL and policy or else the preset's first ones.
 */
export function candidateSettings(config: PipelineConfig, candidate: Candidate, devCell: string, stopToken: number, source: string): CandidateSettings {
  const ppo = requirePpo(config);
  const { klCoefficient = ppo.klCoefficients[0], policy = ppo.policies[0], ...changes } = candidate.overrides;
  if (typeof klCoefficient !== 'number' || typeof policy !== 'string') {
    throw new Error(`${source}: candidate "${candidate.name}" needs a number klCoefficient and a policy size name`);
  }
  let tuned: PipelineConfig;
  try {
    tuned = parsePipeline({ ...config, ppo: { ...ppo, ...changes } }, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new Error(`${source}: candidate "${candidate.name}" has overrides the ppo section does not allow: ${error.problems.join('; ')}`);
  }
  if (!tuned.policy.sizes.includes(policy)) throw new Error(`${source}: candidate "${candidate.name}" trains policy "${policy}", which is not in policy.sizes`);
  const run = { cell: devCell, klCoefficient, policy };
  return { config: tuned, run, hyperparameters: hyperparametersFor(tuned, run, stopToken) };
}

/** What every candidate of one tuning session shares: the development proxy and prompts, and how samples are scored. */
export interface TuningSession {
  pretrained: PretrainArtifacts;
  devCell: string;
  proxy: ProxyModel;
  /** Label's samples of the initial policy that centred the proxy (readCenteringSamples). */
  centering: readonly InitialSample[];
  /** The prompts rollouts draw from. */
  rollouts: readonly ListedPrompt[];
  /** The development prompts evaluations sample. */
  development: readonly ListedPrompt[];
  goldScore: RunEvaluation['goldScore'];
  /** Evaluations at iteration 0 and on a geometric grid of about this many iterations (default ppo.eval.points). */
  points?: number;
}

export interface StepRecord {
  iteration: number;
  kl: number;
  gold: number;
  goldStandardError: number;
  proxy: number;
  human: number;
  responseLength: number;
}

export interface CandidateResult {
  candidate: string;
  why: string;
  devProxy: string;
  devPrompts: number[];
  policy: string;
  klCoefficient: number;
  iterations: number;
  learningRateSchedule: string;
  evaluationPoints: number;
  hyperparameters: PpoHyperparameters;
  rewardNormalised: boolean;
  rewardScale: number;
  steps: StepRecord[];
  peak: { iteration: number; gold: number; kl: number };
  final: { gold: number; kl: number };
  shape: CurveShape;
  /** One row per PPO iteration, as the stage's train.parquet has them. */
  training: TrainingProgress['trainRows'];
}

const mean = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;

/** One evaluation's record: means over the development prompts' per-prompt means, and gold's standard error. */
function stepRecord(iteration: number, samples: ReturnType<typeof evaluateRun>): StepRecord {
  const means = perPromptMeans(samples);
  const gold = mean(means.gold);
  const sd = Math.sqrt(means.gold.reduce((x, g) => x + (g - gold) ** 2, 0) / (means.gold.length - 1));
  return {
    iteration,
    // The exact per-token KL, as the stage's curves use it.
    kl: mean(means.kl.exact),
    gold,
    goldStandardError: sd / Math.sqrt(means.gold.length),
    proxy: mean(means.proxy),
    human: mean(means.human),
    responseLength: samples.reduce((a, s) => a + s.tokens.length, 0) / samples.length,
  };
}

/**
 * Trains one candidate as the PPO stage trains a run (the stage's reward, hyperparameters, prompt schedule, seeds
 * and loop, through @goodhart/ppo's public API), against the development proxy on the session's rollout prompts,
 * evaluating on the development prompts as the stage evaluates on its held-out ones.
 */
export async function tuneCandidate(session: TuningSession, candidate: Candidate, settings: CandidateSettings): Promise<CandidateResult> {
  const { config, run, hyperparameters } = settings;
  const ppo = requirePpo(config);
  const { proxyScore, reward, scale } = runReward(config, session.proxy, session.centering);
  const models = { ...(await loadRunModels(session.pretrained, run)), hyperparameters };
  const steps = evaluationSteps(ppo.iterations, session.points ?? ppo.eval.points);
  const evaluation: RunEvaluation = { prompts: session.development, proxyScore, goldScore: session.goldScore };
  const record: StepRecord[] = [];
  const progress: TrainingProgress = { iteration: 0, trainRows: [] };
  await trainPolicy({
    config,
    run,
    ...models,
    reward,
    prompts: session.rollouts.map((p) => p.tokens),
    progress,
    steps,
    evaluate: (step) => record.push(stepRecord(step, evaluateRun(config, run, models, step, evaluation))),
    label: `tune ${candidate.name}`,
  });
  models.policy.dispose();
  models.reference.dispose();
  const base = record[0].gold;
  const peak = record.reduce((a, b) => (b.gold > a.gold ? b : a));
  return {
    candidate: candidate.name,
    why: candidate.why,
    devProxy: session.devCell,
    devPrompts: session.development.map((p) => p.promptId),
    policy: run.policy,
    klCoefficient: run.klCoefficient,
    iterations: ppo.iterations,
    learningRateSchedule: ppo.learningRateSchedule,
    evaluationPoints: steps.length,
    hyperparameters,
    rewardNormalised: ppo.rewardNormalisation !== 'none',
    rewardScale: scale,
    steps: record,
    peak: { iteration: peak.iteration, gold: peak.gold - base, kl: peak.kl },
    final: { gold: record.at(-1)!.gold - base, kl: record.at(-1)!.kl },
    shape: curveShape(record),
    training: progress.trainRows,
  };
}
