import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dpoRunName,
  EVAL_PROMPTS_TABLE,
  findDpoRun,
  loadPipeline,
  openStage,
  parseCell,
  Progress,
  Rng,
  sha256Hex,
  stageConfig,
  stageName,
  stageOutputDir,
  stageWorkDir,
  workspaceRoot,
  writeStageOutput,
  type DpoConfig,
  type PipelineConfig,
} from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import { engineCodeVersion, initEngine, readPretrainArtifacts, readPromptsFile, saveCheckpoint, type ComputeOptions } from '@goodhart/model';
import { comparisonSchedule, readCellComparisons, totalSteps } from './comparisons.ts';
import { evaluateSamples, evaluationSteps, implicitAccuracy, summariseStep, type EvalPoint } from './evaluation.ts';
import { comparisonLogProbs } from './pair-batch.ts';
import { writeDpoTables } from './run-tables.ts';
import { DpoTrainer, type ReferencedComparison } from './trainer.ts';
import { loadDpoState, saveDpoState, type DpoProgress } from './training-state.ts';

export const STAGE = stageName('dpoRun');
const CODE_PACKAGES = ['core', 'model', 'gold', 'dpo'];

export function requireDpo(config: PipelineConfig): DpoConfig {
  if (!config.dpo) throw new Error(`pipeline "${config.name}" has no "dpo" section, so it has no DPO runs`);
  return config.dpo;
}

export interface DpoRunResult {
  run: string;
  outputDir: string;
  points: EvalPoint[];
  resumedFrom: number;
}

/**
 * One DPO run (a proxy cell's training comparisons × a loss × a β): trains the initial policy on the comparisons
 * with the reference being the initial policy, evaluating on fresh samples for held-out prompts at step 0 and on a
 * geometric grid of steps. Checkpoints every dpo.checkpointEvery steps; a rerun after a kill resumes from the last
 * checkpoint and ends with the same bytes as an uninterrupted run.
 */
export async function runDpoRun(options: ComputeOptions & { preset: string; run: string; root?: string; log?: (line: string) => void }): Promise<DpoRunResult> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const dpo = requireDpo(config);
  const run = findDpoRun(options.run, config);
  const name = dpoRunName(run);
  const cell = parseCell(run.cell, config);
  const policySize = config.policy.sizes[0];
  const { engine } = await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const label = await openStage(root, config, 'label');
  const units = await readGoldUnits(label);
  const evalPrompts = (await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file))).slice(0, dpo.eval.prompts);
  const { train, heldOut } = await readCellComparisons(label, cell.comparisons, dpo.eval.comparisons);
  const gold = await openGold(root, config);
  const upstream = [pretrained.output.ref(), label.ref(), ...gold.upstream];
  const runConfig = { ...stageConfig(config, 'dpoRun'), run: name, dpoRun: { ...run, policy: policySize } };
  const codeVersion = engineCodeVersion(root, CODE_PACKAGES);
  const fingerprint = sha256Hex(JSON.stringify({ runConfig, upstream: upstream.map((u) => u.manifestSha256), code: codeVersion }));
  const work = stageWorkDir(root, config.name, 'dpoRun', name);
  const hyperparameters = {
    loss: run.loss,
    beta: run.beta,
    batchSize: dpo.batchSize,
    learningRate: dpo.learningRate,
    weightDecay: dpo.weightDecay,
    gradientClip: dpo.gradientClip,
  };
  const steps = totalSteps(train.length, dpo.batchSize, dpo.epochs);
  const evalSteps = evaluationSteps(steps, dpo.eval.points);
  const epochOf = (step: number): number => (step * dpo.batchSize) / train.length;

  const reference = await pretrained.loadLanguageModel(policySize);
  log(`[dpo ${name}] reference log-probs of ${train.length} training and ${heldOut.length} held-out comparisons`);
  const trainReference = comparisonLogProbs(reference, train, dpo.eval.batchSize);
  const heldOutReference = comparisonLogProbs(reference, heldOut, dpo.eval.batchSize);
  const referenced: ReferencedComparison[] = train.map((c, i) => ({
    ...c,
    referenceChosen: trainReference.chosen[i],
    referenceRejected: trainReference.rejected[i],
  }));

  const restored = await loadDpoState(work, fingerprint, engine, log);
  const progress: DpoProgress = { step: 0, evalSamples: [], accuracies: [], trainRows: [] };
  const policy = restored ? restored.policy : await pretrained.loadLanguageModel(policySize);
  if (restored) {
    Object.assign(progress, { step: restored.step, evalSamples: restored.evalSamples, accuracies: restored.accuracies, trainRows: restored.trainRows });
    log(`[dpo ${name}] resuming from the checkpoint at step ${restored.step} of ${steps}`);
  }
  const resumedFrom = progress.step;
  const stopToken = pretrained.tokenizer.endOfText;
  const goldScore = (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): { gold: number[]; human: number[] } => {
    const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
    return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
  };
  const summarise = (step: number): EvalPoint =>
    summariseStep(
      progress.evalSamples.filter((s) => s.step === step),
      progress.accuracies.find((a) => a.step === step)!,
      run.beta,
      { resamples: dpo.eval.bootstrapResamples, confidence: dpo.eval.confidence, rng: Rng.fromSeed(config.seed, `dpo/bootstrap/${name}/${step}`) },
    );
  const evaluate = (step: number): void => {
    const samples = evaluateSamples(
      policy,
      reference,
      evalPrompts,
      { step, samplesPerPrompt: dpo.eval.samplesPerPrompt, batchSize: dpo.eval.batchSize, maxNewTokens: config.label.responseTokens, stopToken },
      goldScore,
      // Seeded by the step alone: every run's step-0 samples are the initial policy's same samples.
      Rng.fromSeed(config.seed, `dpo/eval/${policySize}/${step}`),
    );
    progress.evalSamples.push(...samples);
    progress.accuracies.push({ step, ...implicitAccuracy(policy, heldOut, heldOutReference, dpo.eval.batchSize) });
    const point = summarise(step);
    log(
      `[dpo ${name}] eval at step ${step} (epoch ${epochOf(step).toFixed(2)}): KL ${point.kl.mean.toFixed(3)} nats [${point.kl.low.toFixed(3)}, ${point.kl.high.toFixed(3)}], d ${point.d.toFixed(3)}, gold ${point.gold.mean.toFixed(3)} [${point.gold.low.toFixed(3)}, ${point.gold.high.toFixed(3)}], human ${point.human.mean.toFixed(3)}, held-out implicit accuracy ${point.implicitAccuracy.toFixed(3)} (gold ${point.implicitGoldAccuracy.toFixed(3)})`,
    );
  };

  log(
    `[dpo ${name}] policy "${policySize}", ${run.loss.toUpperCase()} β ${run.beta} on the ${train.length} training comparisons of ${run.cell}: ${dpo.epochs} epoch(s) = ${steps} steps of ${dpo.batchSize}, eval at steps ${evalSteps.join(', ')}`,
  );
  const trainer = new DpoTrainer(policy, hyperparameters);
  const schedule = comparisonSchedule(referenced, dpo.batchSize, config.seed, run.cell);
  const bar = new Progress({ label: `dpo ${name}`, total: Math.max(steps - resumedFrom, 1), unit: 'steps' });
  for (;;) {
    const step = progress.step;
    if (evalSteps.includes(step) && !progress.accuracies.some((a) => a.step === step)) evaluate(step);
    if (step >= steps) break;
    const stats = trainer.step(schedule(step));
    progress.trainRows.push({ step: step + 1, ...stats });
    progress.step = step + 1;
    bar.update(
      progress.step - resumedFrom,
      `step ${progress.step} | epoch ${epochOf(progress.step).toFixed(2)} | loss ${stats.loss.toFixed(4)} | acc ${stats.accuracy.toFixed(3)} | margin ${stats.margin.toFixed(3)}`,
    );
    if (progress.step % dpo.checkpointEvery === 0 && progress.step < steps) await saveDpoState(work, fingerprint, progress, policy);
  }

  const points = evalSteps.map(summarise);
  const outputDir = stageOutputDir(root, config.name, 'dpoRun', name);
  await writeStageOutput(
    { dir: outputDir, stage: STAGE, pipeline: config.name, config: runConfig, seed: config.seed, codeVersion, upstream },
    async (staging) => {
      await writeDpoTables(staging, { name, run, policy: policySize, points, progress, epochOf, decode: (tokens) => pretrained.tokenizer.decode(tokens) });
      await writeFile(
        join(staging, 'hyperparameters.json'),
        `${JSON.stringify({ run: name, cell: run.cell, policy: policySize, ...hyperparameters, epochs: dpo.epochs, steps, comparisons: train.length, eval: dpo.eval }, null, 2)}\n`,
      );
      await saveCheckpoint(policy, join(staging, 'policy'));
    },
  );
  await rm(work, { recursive: true, force: true });
  policy.dispose();
  reference.dispose();
  gold.dispose();
  return { run: name, outputDir, points, resumedFrom };
}
