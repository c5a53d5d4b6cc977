import {
  combineMembers,
  Progress,
  readParquetFile,
  Rng,
  SAMPLES_TABLE,
  standardiseMember,
  type EnsembleObjective,
  type PipelineConfig,
  type PpoConfig,
  type PpoRun,
  type StageOutput,
} from '@goodhart/core';
import { scoreSequences, type Model, type PretrainArtifacts } from '@goodhart/model';
import { VALUE_HEAD } from './batch.ts';
import { evaluatePolicy, type EvalSample } from './evaluation.ts';
import type { PpoHyperparameters } from './hyperparameters.ts';
import { scheduledLearningRate } from './learning-rate.ts';
import { rewardScale } from './reward-normalisation.ts';
import { PpoTrainer, type IterationStats, type RewardFunction } from './trainer.ts';

/**
 * One PPO run's training, as the stage runs it and as the tuning tool (scripts/ppo-tune.ts) runs a candidate: the
 * reward (the proxy's centred score, normalised by its spread on the initial policy's samples), the hyperparameters,
 * the rollout prompt schedule, the seeds of every iteration and evaluation, and the loop itself. The two callers
 * differ only in what they hand in: the proxy, the prompts and what happens at an evaluation or after an iteration.
 */

export function requirePpo(config: PipelineConfig): PpoConfig {
  if (!config.ppo) throw new Error(`pipeline "${config.name}" has no "ppo" section, so it has no PPO runs`);
  return config.ppo;
}

export function hyperparametersFor(config: PipelineConfig, run: PpoRun, stopToken: number): PpoHyperparameters {
  const ppo = requirePpo(config);
  return {
    batchSize: ppo.batchSize,
    minibatches: ppo.minibatches,
    epochs: ppo.epochs,
    learningRate: ppo.learningRate,
    clipRange: ppo.clipRange,
    valueClipRange: ppo.valueClipRange,
    valueCoefficient: ppo.valueCoefficient,
    gamma: ppo.gamma,
    gaeLambda: ppo.gaeLambda,
    gradientClip: ppo.gradientClip,
    klCoefficient: run.klCoefficient,
    temperature: ppo.temperature,
    maxNewTokens: config.label.responseTokens,
    stopToken,
  };
}

/** A trained proxy RM as a run uses it: score = model reward + shift (0 on average over the initial policy). */
export interface ProxyModel {
  model: Model;
  shift: number;
}

/** Prompt and response tokens of one of the initial policy's samples (label's, which centred the proxy). */
export interface InitialSample {
  promptTokens: readonly number[];
  responseTokens: readonly number[];
}

export interface RunReward {
  /** The proxy's centred score: what evaluations report. */
  proxyScore: RewardFunction;
  /** What PPO optimises: the centred score divided by `scale`. */
  reward: RewardFunction;
  /** The proxy's standard deviation on the initial policy's samples, or 1 when ppo.rewardNormalisation is "none". */
  scale: number;
}

/**
 * The reward of a run against `proxy`. `centering` are label's first proxy.training.centeringSamples samples of the
 * initial policy, the ones that centred the proxy: with "initial-policy-std" the reward is divided by the proxy's
 * spread over them, so β_KL and the learning rate mean the same for every proxy.
 */
export function runReward(config: PipelineConfig, proxy: ProxyModel | EnsembleModels, centering: readonly InitialSample[]): RunReward {
  const ppo = requirePpo(config);
  const proxyScore = 'members' in proxy ? ensembleScore(config, proxy, centering) : centredScore(proxy, ppo.batchSize);
  const scale =
    ppo.rewardNormalisation === 'none'
      ? 1
      : rewardScale(
          proxyScore(
            centering.map((s) => s.promptTokens),
            centering.map((s) => s.responseTokens),
          ),
        );
  return { proxyScore, reward: (prompts, responses) => Array.from(proxyScore(prompts, responses), (s) => s / scale), scale };
}

/** An ensemble a run optimises: its members' proxies, combined per sample by the objective (pipeline/sources.ts). */
export interface EnsembleModels {
  members: ProxyModel[];
  objective: EnsembleObjective;
  lambda?: number | undefined;
}

/** A proxy's centred score: model reward + shift. */
function centredScore(proxy: ProxyModel, batchSize: number): RewardFunction {
  return (prompts, responses) => {
    const scores = scoreSequences(
      proxy.model,
      prompts.map((p, b) => [...p, ...responses[b]]),
      batchSize,
    );
    return scores.map((s) => s + proxy.shift);
  };
}

/**
 * An ensemble's score: each member's centred score divided by its standard deviation on the initial policy's
 * samples (what "initial-policy-std" divides a single proxy by; here always, since members must share one scale
 * before a mean, a minimum or a variance across them means anything), then the objective across members, per sample.
 */
function ensembleScore(config: PipelineConfig, ensemble: EnsembleModels, centering: readonly InitialSample[]): RewardFunction {
  const { batchSize } = requirePpo(config);
  const members = ensemble.members.map((member) => {
    const score = centredScore(member, batchSize);
    const scale = rewardScale(
      score(
        centering.map((s) => s.promptTokens),
        centering.map((s) => s.responseTokens),
      ),
    );
    return { score, scale };
  });
  return (prompts, responses) =>
    Array.from(
      combineMembers(
        ensemble.objective,
        members.map(({ score, scale }) => standardiseMember(score(prompts, responses), scale)),
        ensemble.lambda,
      ),
    );
}

/** Label's first proxy.training.centeringSamples samples of the initial policy: the ones that centred every proxy. */
export async function readCenteringSamples(label: StageOutput, config: PipelineConfig): Promise<InitialSample[]> {
  const path = label.file(SAMPLES_TABLE.file);
  return SAMPLES_TABLE.select(await readParquetFile(path), path, ['prompt_tokens', 'response_tokens'])
    .slice(0, config.proxy.training.centeringSamples)
    .map((s) => ({ promptTokens: [...s.prompt_tokens], responseTokens: [...s.response_tokens] }));
}

/** The prompts rollouts draw from: every prompt of pretrain's list but the held-out ones (label's evaluation prompts). */
export function rolloutPrompts<P extends { promptId: number }>(prompts: readonly P[], heldOut: ReadonlySet<number>): P[] {
  return prompts.filter((p) => !heldOut.has(p.promptId));
}

/**
 * Iteration i's rollout prompts: passes over the prompts, each pass in its own seeded order. Runs of one policy
 * share the order (and iteration seeds), so runs that differ only in proxy or β_KL see the same prompts.
 */
export function promptSchedule(
  prompts: readonly (readonly number[])[],
  batchSize: number,
  seed: number,
  policy: string,
): (iteration: number) => (readonly number[])[] {
  const orders = new Map<number, number[]>();
  const order = (pass: number): number[] => {
    let cached = orders.get(pass);
    if (!cached) {
      cached = Rng.fromSeed(seed, `ppo/${policy}/prompts/${pass}`).shuffle(Array.from({ length: prompts.length }, (_, i) => i));
      orders.set(pass, cached);
    }
    return cached;
  };
  return (iteration) =>
    Array.from({ length: batchSize }, (_, k) => {
      const position = iteration * batchSize + k;
      return prompts[order(Math.floor(position / prompts.length))[position % prompts.length]];
    });
}

/** A fresh policy to train (the pretrained LM of the run's size with a value head) and its frozen reference. */
export async function loadRunModels(pretrained: PretrainArtifacts, run: PpoRun): Promise<{ policy: Model; reference: Model }> {
  return { policy: await pretrained.loadLanguageModel(run.policy, [VALUE_HEAD]), reference: await pretrained.loadLanguageModel(run.policy) };
}

/** What an evaluation samples and how it scores: the prompts, the proxy's centred score, and the gold and human scores. */
export interface RunEvaluation {
  prompts: readonly { promptId: number; tokens: readonly number[] }[];
  proxyScore: RewardFunction;
  goldScore: (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => { gold: ArrayLike<number>; human: ArrayLike<number> };
}

/** The policy being trained with its frozen reference, and the hyperparameters the run trains with. */
export interface RunModels {
  policy: Model;
  reference: Model;
  hyperparameters: PpoHyperparameters;
}

/**
 * The samples of an evaluation at iteration `step`: ppo.eval.samplesPerPrompt fresh samples per prompt from the
 * policy, with their KL from the reference and their proxy, gold and human scores, seeded by the policy size and step.
 */
export function evaluateRun(config: PipelineConfig, run: PpoRun, models: RunModels, step: number, evaluation: RunEvaluation): EvalSample[] {
  const ppo = requirePpo(config);
  const h = models.hyperparameters;
  return evaluatePolicy(
    models.policy,
    models.reference,
    evaluation.prompts,
    {
      step,
      samplesPerPrompt: ppo.eval.samplesPerPrompt,
      batchSize: ppo.batchSize,
      maxNewTokens: h.maxNewTokens,
      temperature: h.temperature,
      stopToken: h.stopToken,
    },
    { proxy: evaluation.proxyScore, gold: evaluation.goldScore },
    Rng.fromSeed(config.seed, `ppo/eval/${run.policy}/${step}`),
  );
}

/** Where a run stands: iterations done and one row per iteration done (a resumed run starts from its checkpoint's). */
export interface TrainingProgress {
  iteration: number;
  trainRows: (IterationStats & { iteration: number })[];
}

export interface PolicyTraining extends RunModels {
  config: PipelineConfig;
  run: PpoRun;
  /** What PPO optimises (runReward). */
  reward: RewardFunction;
  /** The prompts rollouts draw from, in the order the schedule shuffles (rolloutPrompts). */
  prompts: readonly (readonly number[])[];
  /** Updated in place after every iteration. */
  progress: TrainingProgress;
  /** Iterations to evaluate at (evaluationSteps), each called once as the run reaches it unless `evaluated` says it was. */
  steps: readonly number[];
  evaluate: (step: number) => void;
  evaluated?: (step: number) => boolean;
  /** After each iteration (the stage saves a checkpoint here). */
  afterIteration?: () => Promise<void>;
  /** The progress bar's label. */
  label: string;
}

/**
 * The PPO loop of a run, from `progress.iteration` to ppo.iterations: at each evaluation step `evaluate`, then one
 * PPO iteration on the schedule's prompts, seeded by the policy size and the iteration, at the scheduled learning
 * rate. Every random draw is seeded by its own index, so a resumed run ends with the numbers of an uninterrupted one.
 */
export async function trainPolicy(training: PolicyTraining): Promise<void> {
  const { config, run, progress } = training;
  const ppo = requirePpo(config);
  const trainer = new PpoTrainer(training.policy, training.reference, training.reward, training.hyperparameters);
  const prompts = promptSchedule(training.prompts, ppo.batchSize, config.seed, run.policy);
  const resumedFrom = progress.iteration;
  const bar = new Progress({ label: training.label, total: Math.max(ppo.iterations - resumedFrom, 1), unit: 'iterations' });
  for (;;) {
    const i = progress.iteration;
    if (training.steps.includes(i) && !training.evaluated?.(i)) training.evaluate(i);
    if (i >= ppo.iterations) break;
    const stats = trainer.iteration(prompts(i), Rng.fromSeed(config.seed, `ppo/${run.policy}/iteration/${i}`), scheduledLearningRate(ppo, i));
    progress.trainRows.push({ iteration: i + 1, ...stats });
    progress.iteration = i + 1;
    bar.update(
      progress.iteration - resumedFrom,
      `it ${progress.iteration} | proxy ${stats.score.toFixed(3)} | KL ${stats.kl.toFixed(3)} | loss ${stats.loss.toFixed(4)} | clip ${stats.clipFraction.toFixed(3)}`,
    );
    await training.afterIteration?.();
  }
}
