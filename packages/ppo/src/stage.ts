import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVAL_PROMPTS_TABLE,
  findRun,
  loadPipeline,
  openStage,
  Progress,
  Rng,
  readParquetFile,
  runName,
  SAMPLES_TABLE,
  sha256Hex,
  stageConfig,
  stageName,
  stageOutputDir,
  stageWorkDir,
  workspaceRoot,
  writeStageOutput,
  type PipelineConfig,
  type PpoConfig,
  type PpoRun,
  type StageOutput,
} from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import {
  engineCodeVersion,
  initEngine,
  readPretrainArtifacts,
  readProxyCell,
  readPromptsFile,
  saveCheckpoint,
  scoreSequences,
  type ComputeOptions,
  type Model,
} from '@goodhart/model';
import { evaluatePolicy, evaluationSteps, summariseStep, type EvalPoint, type EvalSample } from './evaluation.ts';
import type { PpoHyperparameters } from './hyperparameters.ts';
import { scheduledLearningRate } from './learning-rate.ts';
import { writeRunTables } from './run-tables.ts';
import { PpoTrainer, type RewardFunction } from './trainer.ts';
import { loadTrainingState, saveTrainingState, type SavedProgress } from './training-state.ts';
import { VALUE_HEAD } from './batch.ts';
import { rewardScale } from './reward-normalisation.ts';

export const STAGE = stageName('ppoRun');

export function runDir(root: string, pipeline: string, run: string): string {
  return stageOutputDir(root, pipeline, 'ppoRun', run);
}

/** Where an unfinished run keeps its resumable checkpoint; removed once the run's output is written. */
export function workDir(root: string, pipeline: string, run: string): string {
  return stageWorkDir(root, pipeline, 'ppoRun', run);
}

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

export interface RunResult {
  run: string;
  outputDir: string;
  points: EvalPoint[];
  resumedFrom: number;
}

/**
 * One PPO run (proxy × KL coefficient × policy size): trains the policy against the proxy, evaluating on fresh
 * samples for held-out prompts at iteration 0 and on a geometric grid of iterations. Checkpoints every
 * `ppo.checkpointEvery` iterations; a rerun after a kill resumes from the last checkpoint and ends with the same
 * numbers as an uninterrupted run.
 */
export async function runPpoRun(options: ComputeOptions & { preset: string; run: string; root?: string; log?: (line: string) => void }): Promise<RunResult> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const ppo = requirePpo(config);
  const run = findRun(options.run, config);
  const name = runName(run);
  const { engine } = await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const label = await openStage(root, config, 'label');
  const proxyCell = await readProxyCell(await openStage(root, config, 'proxyCell', run.cell));
  const units = await readGoldUnits(label);
  const heldOutPrompts = await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file));
  const evalPrompts = heldOutPrompts.slice(0, ppo.eval.prompts);
  // Rollouts never see a prompt held out for evaluation (RM training prompts are fine: the paper trains on them too).
  const heldOut = new Set(heldOutPrompts.map((p) => p.promptId));
  const trainPrompts = pretrained.prompts.filter((p) => !heldOut.has(p.promptId));
  if (trainPrompts.length < ppo.batchSize)
    throw new Error(`only ${trainPrompts.length} training prompts for ppo.batchSize ${ppo.batchSize}; raise prompts.count`);

  const stopToken = pretrained.tokenizer.endOfText;
  const hyperparameters = hyperparametersFor(config, run, stopToken);
  const gold = await openGold(root, config);
  const upstream = [pretrained.output.ref(), label.ref(), proxyCell.output.ref(), ...gold.upstream];
  const runConfig = { ...stageConfig(config, 'ppoRun'), run };
  const fingerprint = sha256Hex(
    JSON.stringify({ runConfig, upstream: upstream.map((u) => u.manifestSha256), code: engineCodeVersion(root, ['core', 'model', 'gold', 'ppo']) }),
  );
  const work = workDir(root, config.name, name);

  const rewardModel = await proxyCell.loadRewardModel();
  const proxyScore: RewardFunction = (prompts, responses) => {
    const scores = scoreSequences(
      rewardModel,
      prompts.map((p, b) => [...p, ...responses[b]]),
      ppo.batchSize,
    );
    return scores.map((s) => s + proxyCell.shift);
  };
  const scale = ppo.rewardNormalisation === 'none' ? 1 : await initialRewardScale(label, config, proxyScore);
  const reward: RewardFunction = (prompts, responses) => Array.from(proxyScore(prompts, responses), (s) => s / scale);
  if (ppo.rewardNormalisation !== 'none')
    log(`[ppo ${name}] reward = proxy score / ${scale.toFixed(4)} (its standard deviation on the initial policy's samples)`);
  const goldScore = (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): { gold: number[]; human: number[] } => {
    const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
    return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
  };

  const reference = await pretrained.loadLanguageModel(run.policy);
  const restored = await loadTrainingState(work, fingerprint, engine, log);
  let policy: Model;
  const progress: SavedProgress = { iteration: 0, evalSamples: [], trainRows: [] };
  if (restored) {
    policy = restored.policy;
    Object.assign(progress, { iteration: restored.iteration, evalSamples: restored.evalSamples, trainRows: restored.trainRows });
    log(`[ppo ${name}] resuming from the checkpoint at iteration ${restored.iteration} of ${ppo.iterations}`);
  } else {
    policy = await pretrained.loadLanguageModel(run.policy, [VALUE_HEAD]);
  }
  const trainer = new PpoTrainer(policy, reference, reward, hyperparameters);
  const resumedFrom = progress.iteration;

  const steps = evaluationSteps(ppo.iterations, ppo.eval.points);
  const evaluate = (step: number): void => {
    const samples = evaluatePolicy(
      policy,
      reference,
      evalPrompts,
      {
        step,
        samplesPerPrompt: ppo.eval.samplesPerPrompt,
        batchSize: ppo.batchSize,
        maxNewTokens: config.label.responseTokens,
        temperature: ppo.temperature,
        stopToken,
      },
      { proxy: proxyScore, gold: goldScore },
      Rng.fromSeed(config.seed, `ppo/eval/${run.policy}/${step}`),
    );
    progress.evalSamples.push(...samples);
    const point = summarise(samples, config, name);
    log(
      `[ppo ${name}] eval at iteration ${step}: KL ${point.kl.mean.toFixed(3)} nats (k3 ${point.k3.toFixed(3)}), d ${point.d.toFixed(3)}, proxy ${point.proxy.mean.toFixed(3)}, gold ${point.gold.mean.toFixed(3)} [${point.gold.low.toFixed(3)}, ${point.gold.high.toFixed(3)}]${gold.kind === 'model' ? `, human ${point.human.mean.toFixed(3)}` : ''}`,
    );
  };

  log(
    `[ppo ${name}] policy "${run.policy}", proxy ${run.cell}, β_KL ${run.klCoefficient}: ${ppo.iterations} iterations of ${ppo.batchSize} rollouts, eval at iterations ${steps.join(', ')}`,
  );
  const bar = new Progress({ label: `ppo ${name}`, total: Math.max(ppo.iterations - resumedFrom, 1), unit: 'iterations' });
  const prompts = promptSchedule(
    trainPrompts.map((p) => p.tokens),
    ppo.batchSize,
    config.seed,
    run.policy,
  );
  for (;;) {
    const i = progress.iteration;
    if (steps.includes(i) && !progress.evalSamples.some((s) => s.step === i)) evaluate(i);
    if (i >= ppo.iterations) break;
    const stats = trainer.iteration(prompts(i), Rng.fromSeed(config.seed, `ppo/${run.policy}/iteration/${i}`), scheduledLearningRate(ppo, i));
    progress.trainRows.push({ iteration: i + 1, ...stats });
    progress.iteration = i + 1;
    bar.update(
      progress.iteration - resumedFrom,
      `it ${progress.iteration} | proxy ${stats.score.toFixed(3)} | KL ${stats.kl.toFixed(3)} | loss ${stats.loss.toFixed(4)} | clip ${stats.clipFraction.toFixed(3)}`,
    );
    if (progress.iteration % ppo.checkpointEvery === 0 && progress.iteration < ppo.iterations) {
      await saveTrainingState(work, fingerprint, progress, policy);
    }
  }

  const points = steps.map((step) =>
    summarise(
      progress.evalSamples.filter((s) => s.step === step),
      config,
      name,
    ),
  );
  const outputDir = runDir(root, config.name, name);
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: runConfig,
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'gold', 'ppo']),
      upstream,
    },
    async (staging) => {
      await writeRunTables(staging, {
        name,
        run,
        points,
        samples: progress.evalSamples,
        trainRows: progress.trainRows,
        decode: (tokens) => pretrained.tokenizer.decode(tokens),
      });
      await writeFile(
        join(staging, 'hyperparameters.json'),
        `${JSON.stringify({ run: name, ...run, ...hyperparameters, iterations: ppo.iterations, rewardNormalisation: ppo.rewardNormalisation, rewardScale: scale, eval: ppo.eval }, null, 2)}\n`,
      );
      await saveCheckpoint(policy, join(staging, 'policy'));
    },
  );
  await rm(work, { recursive: true, force: true });
  for (const model of [policy, reference, rewardModel]) model.dispose();
  gold.dispose();
  return { run: name, outputDir, points, resumedFrom };
}

/** The proxy's standard deviation over the initial policy's samples that centred it (label's first centeringSamples). */
async function initialRewardScale(label: StageOutput, config: PipelineConfig, proxyScore: RewardFunction): Promise<number> {
  const path = label.file(SAMPLES_TABLE.file);
  const samples = SAMPLES_TABLE.select(await readParquetFile(path), path, ['prompt_tokens', 'response_tokens']).slice(
    0,
    config.proxy.training.centeringSamples,
  );
  const scores = proxyScore(
    samples.map((s) => [...s.prompt_tokens]),
    samples.map((s) => [...s.response_tokens]),
  );
  return rewardScale(scores);
}

function summarise(samples: readonly EvalSample[], config: PipelineConfig, name: string): EvalPoint {
  const ppo = requirePpo(config);
  return summariseStep(samples, {
    resamples: ppo.eval.bootstrapResamples,
    confidence: ppo.eval.confidence,
    rng: Rng.fromSeed(config.seed, `ppo/bootstrap/${name}/${samples[0]?.step}`),
  });
}

/**
 * Iteration i's rollout prompts: passes over the training prompts, each pass in its own seeded order. Runs of one
 * policy share the order (and iteration seeds), so runs that differ only in proxy or β_KL see the same prompts.
 */
function promptSchedule(prompts: readonly number[][], batchSize: number, seed: number, policy: string): (iteration: number) => number[][] {
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
