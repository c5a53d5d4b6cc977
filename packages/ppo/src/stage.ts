import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVAL_PROMPTS_TABLE,
  findRun,
  findSource,
  hasOwnModel,
  memberNames,
  loadPipeline,
  openStage,
  Rng,
  runName,
  sha256Hex,
  stageConfig,
  stageName,
  stageOutputDir,
  stageWorkDir,
  workspaceRoot,
  writeStageOutput,
  type PipelineConfig,
} from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import { engineCodeVersion, initEngine, readPretrainArtifacts, readProxyCell, readPromptsFile, saveCheckpoint, type ComputeOptions } from '@goodhart/model';
import { evaluationSteps, summariseStep, type EvalPoint, type EvalSample } from './evaluation.ts';
import { evaluateRun, hyperparametersFor, loadRunModels, readCenteringSamples, requirePpo, rolloutPrompts, runReward, trainPolicy } from './policy-training.ts';
import { writeRunTables } from './run-tables.ts';
import { loadTrainingState, saveTrainingState, type SavedProgress } from './training-state.ts';

export const STAGE = stageName('ppoRun');

export function runDir(root: string, pipeline: string, run: string): string {
  return stageOutputDir(root, pipeline, 'ppoRun', run);
}

/** Where an unfinished run keeps its resumable checkpoint; removed once the run's output is written. */
export function workDir(root: string, pipeline: string, run: string): string {
  return stageWorkDir(root, pipeline, 'ppoRun', run);
}

export interface RunResult {
  run: string;
  outputDir: string;
  points: EvalPoint[];
  resumedFrom: number;
}

/**
 * One PPO run (proxy × KL coefficient × policy size): trains the policy against the proxy (a cell, or a source of
 * `sources`), evaluating on fresh
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
  const source = findSource(run.cell, config);
  // A cell's proxy, an ensemble's members' (combined per sample by its objective), or a source's own model.
  const modelEntry = hasOwnModel(run.cell, config.sources ?? {}) ? 'proxyAverage' : 'proxyCell';
  const proxyCells = await Promise.all(
    (source?.kind === 'ensemble' ? memberNames(source) : [run.cell]).map(async (cell) => readProxyCell(await openStage(root, config, modelEntry, cell))),
  );
  const units = await readGoldUnits(label);
  const heldOutPrompts = await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file));
  const evalPrompts = heldOutPrompts.slice(0, ppo.eval.prompts);
  // Rollouts never see a prompt held out for evaluation (RM training prompts are fine: the paper trains on them too).
  const trainPrompts = rolloutPrompts(pretrained.prompts, new Set(heldOutPrompts.map((p) => p.promptId)));
  if (trainPrompts.length < ppo.batchSize)
    throw new Error(`only ${trainPrompts.length} training prompts for ppo.batchSize ${ppo.batchSize}; raise prompts.count`);

  const stopToken = pretrained.tokenizer.endOfText;
  const hyperparameters = hyperparametersFor(config, run, stopToken);
  const gold = await openGold(root, config);
  const upstream = [pretrained.output.ref(), label.ref(), ...proxyCells.map((p) => p.output.ref()), ...gold.upstream];
  const runConfig = { ...stageConfig(config, 'ppoRun'), run };
  const fingerprint = sha256Hex(
    JSON.stringify({ runConfig, upstream: upstream.map((u) => u.manifestSha256), code: engineCodeVersion(root, ['core', 'model', 'gold', 'ppo']) }),
  );
  const work = workDir(root, config.name, name);

  const rewardModels = await Promise.all(proxyCells.map(async (p) => ({ model: await p.loadRewardModel(), shift: p.shift })));
  const optimised = source?.kind === 'ensemble' ? { members: rewardModels, objective: source.objective, lambda: source.lambda } : rewardModels[0];
  const { proxyScore, reward, scale } = runReward(config, optimised, await readCenteringSamples(label, config));
  if (ppo.rewardNormalisation !== 'none')
    log(`[ppo ${name}] reward = proxy score / ${scale.toFixed(4)} (its standard deviation on the initial policy's samples)`);
  const goldScore = (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): { gold: number[]; human: number[] } => {
    const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
    return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
  };

  const restored = await loadTrainingState(work, fingerprint, engine, log);
  const progress: SavedProgress = { iteration: 0, evalSamples: [], trainRows: [] };
  const { policy, reference } = restored
    ? { policy: restored.policy, reference: await pretrained.loadLanguageModel(run.policy) }
    : await loadRunModels(pretrained, run);
  if (restored) {
    Object.assign(progress, { iteration: restored.iteration, evalSamples: restored.evalSamples, trainRows: restored.trainRows });
    log(`[ppo ${name}] resuming from the checkpoint at iteration ${restored.iteration} of ${ppo.iterations}`);
  }
  const resumedFrom = progress.iteration;
  const models = { policy, reference, hyperparameters };

  const steps = evaluationSteps(ppo.iterations, ppo.eval.points);
  const evaluate = (step: number): void => {
    const samples = evaluateRun(config, run, models, step, { prompts: evalPrompts, proxyScore, goldScore });
    progress.evalSamples.push(...samples);
    const point = summarise(samples, config, name);
    log(
      `[ppo ${name}] eval at iteration ${step}: KL ${point.kl.exact.mean.toFixed(3)} nats exact (k1 ${point.kl.k1.mean.toFixed(3)}, k3 ${point.kl.k3.mean.toFixed(3)}), d ${point.d.toFixed(3)}, proxy ${point.proxy.mean.toFixed(3)}, gold ${point.gold.mean.toFixed(3)} [${point.gold.low.toFixed(3)}, ${point.gold.high.toFixed(3)}]${gold.kind === 'model' ? `, human ${point.human.mean.toFixed(3)}` : ''}`,
    );
  };

  log(
    `[ppo ${name}] policy "${run.policy}", proxy ${run.cell}, β_KL ${run.klCoefficient}: ${ppo.iterations} iterations of ${ppo.batchSize} rollouts, eval at iterations ${steps.join(', ')}`,
  );
  await trainPolicy({
    config,
    run,
    ...models,
    reward,
    prompts: trainPrompts.map((p) => p.tokens),
    progress,
    steps,
    evaluate,
    evaluated: (step) => progress.evalSamples.some((s) => s.step === step),
    afterIteration: async () => {
      if (progress.iteration % ppo.checkpointEvery === 0 && progress.iteration < ppo.iterations) await saveTrainingState(work, fingerprint, progress, policy);
    },
    label: `ppo ${name}`,
  });

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
  for (const model of [policy, reference, ...rewardModels.map((m) => m.model)]) model.dispose();
  gold.dispose();
  return { run: name, outputDir, points, resumedFrom };
}

function summarise(samples: readonly EvalSample[], config: PipelineConfig, name: string): EvalPoint {
  const ppo = requirePpo(config);
  return summariseStep(samples, {
    resamples: ppo.eval.bootstrapResamples,
    confidence: ppo.eval.confidence,
    rng: Rng.fromSeed(config.seed, `ppo/bootstrap/${name}/${samples[0]?.step}`),
  });
}
