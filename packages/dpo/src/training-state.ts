import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '@goodhart/core';
import { decodeSafetensors, encodeTensors, parameterShapes, type Engine, type Model, type ModelConfig, type NamedTensor } from '@goodhart/model';
import type { EvalSample } from './evaluation.ts';
import type { StepStats } from './trainer.ts';

/**
 * A DPO run's resumable checkpoint in its work directory (outside the stage output, which appears only when the run
 * finishes): the policy's weights and AdamW moments in one safetensors file, and the steps done with the evaluation
 * and training rows so far. Every step's data order and every evaluation's samples are seeded by their own index, so
 * a run resumed from any checkpoint ends with the bytes of an uninterrupted one.
 *
 * Written whole to `next/` with a `complete` marker (the sha256 of each file) written last, then rotated:
 * `current/` → `previous/`, `next/` → `current/`. A kill at any moment leaves a whole checkpoint; one whose bytes do
 * not match its marker is refused with a warning and the one before it is tried.
 */
export interface DpoProgress {
  /** Steps done. */
  step: number;
  evalSamples: EvalSample[];
  /** Implicit-reward accuracy on the held-out comparisons at each evaluation step. */
  accuracies: { step: number; label: number; gold: number }[];
  trainRows: (StepStats & { step: number })[];
}

interface StateFile extends DpoProgress {
  /** Hash of the run's config, upstream artifacts and code: a checkpoint from other inputs is never resumed. */
  fingerprint: string;
  optimizerSteps: number;
  modelConfig: ModelConfig;
}

const FILES = ['model.safetensors', 'state.json'] as const;
const COMPLETE = 'complete';

export async function saveDpoState(workDir: string, fingerprint: string, progress: DpoProgress, policy: Model): Promise<void> {
  const next = join(workDir, 'next');
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  const optimizer = policy.optimizerState();
  await writeFile(join(next, 'model.safetensors'), encodeTensors(new Map([...policy.weights(), ...optimizer.tensors])));
  const state: StateFile = { ...progress, fingerprint, optimizerSteps: optimizer.steps, modelConfig: policy.config };
  await writeFile(join(next, 'state.json'), JSON.stringify(state));
  const sha256: Record<string, string> = {};
  for (const file of FILES) sha256[file] = await sha256File(join(next, file));
  await writeFile(join(next, COMPLETE), `${JSON.stringify({ sha256 }, null, 2)}\n`);
  await rm(join(workDir, 'previous'), { recursive: true, force: true });
  if (existsSync(join(workDir, 'current'))) await rename(join(workDir, 'current'), join(workDir, 'previous'));
  await rename(next, join(workDir, 'current'));
}

export interface RestoredDpoState extends DpoProgress {
  policy: Model;
}

/**
 * The newest intact checkpoint in `workDir` made from the same inputs, or undefined (the run starts over). A stale
 * one is ignored and a damaged one refused, each with a line through `log`.
 */
export async function loadDpoState(workDir: string, fingerprint: string, engine: Engine, log: (line: string) => void): Promise<RestoredDpoState | undefined> {
  const candidates = ['next', 'current', 'previous'].map((name) => join(workDir, name)).filter((dir) => existsSync(join(dir, COMPLETE)));
  for (const dir of candidates) {
    const restored = await restore(dir, fingerprint, engine);
    if (restored === 'stale') {
      log(`ignoring the DPO checkpoint in ${dir}: it was made with a different config, different upstream artifacts or other code`);
      return undefined;
    }
    if (typeof restored === 'string') {
      log(`warning: refusing the corrupt DPO checkpoint in ${dir}: ${restored}`);
      continue;
    }
    return restored;
  }
  if (candidates.length > 0) log(`warning: no intact DPO checkpoint in ${workDir}; starting the run over`);
  return undefined;
}

async function restore(dir: string, fingerprint: string, engine: Engine): Promise<RestoredDpoState | 'stale' | string> {
  let policy: Model | undefined;
  try {
    const marker = JSON.parse(await readFile(join(dir, COMPLETE), 'utf8')) as { sha256?: Record<string, unknown> };
    for (const file of FILES) {
      const actual = existsSync(join(dir, file)) ? await sha256File(join(dir, file)) : 'missing';
      if (actual !== marker.sha256?.[file]) return `${file} has sha256 ${actual}, its ${COMPLETE} marker records ${String(marker.sha256?.[file])}`;
    }
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as StateFile;
    if (state.fingerprint !== fingerprint) return 'stale';
    const own = parameterShapes(state.modelConfig);
    const weights = new Map<string, NamedTensor>();
    const moments = new Map<string, NamedTensor>();
    for (const [name, tensor] of decodeSafetensors(await readFile(join(dir, 'model.safetensors')))) (own.has(name) ? weights : moments).set(name, tensor);
    policy = engine.createModel(state.modelConfig, weights);
    policy.loadOptimizerState(moments, state.optimizerSteps);
    return { step: state.step, evalSamples: state.evalSamples, accuracies: state.accuracies, trainRows: state.trainRows, policy };
  } catch (error) {
    policy?.dispose();
    return (error as Error).message;
  }
}
