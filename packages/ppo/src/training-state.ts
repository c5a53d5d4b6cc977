import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSafetensors, encodeTensors, parameterShapes, type Engine, type Model, type ModelConfig, type NamedTensor } from '@goodhart/model';
import { VALUE_HEAD } from './batch.ts';
import type { EvalSample } from './evaluation.ts';
import type { IterationStats } from './trainer.ts';

/**
 * A resumable PPO checkpoint in the run's work directory (outside the stage output, which appears only when the
 * run finishes): policy weights, value head, optimizer moments and step count, the iteration reached, and the
 * evaluation and training rows so far. Randomness needs no state: each iteration and evaluation draws from a
 * generator seeded by its own index. Written to `next/` then swapped for `current/`, with a `complete` marker
 * last, so a kill at any moment leaves at least one whole checkpoint.
 */
export interface SavedProgress {
  /** Iterations completed. */
  iteration: number;
  evalSamples: EvalSample[];
  trainRows: (IterationStats & { iteration: number })[];
}

interface StateFile extends SavedProgress {
  /** Hash of the run's config and upstream artifacts: a checkpoint from other inputs is never resumed. */
  fingerprint: string;
  optimizerSteps: number;
  modelConfig: ModelConfig;
}

const CURRENT = 'current';
const NEXT = 'next';
const COMPLETE = 'complete';

export async function saveTrainingState(
  workDir: string,
  fingerprint: string,
  progress: SavedProgress,
  policy: Model,
): Promise<void> {
  const next = join(workDir, NEXT);
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  // The policy's own weights, then the value head and the optimizer moments (m/<param>, v/<param>) beside them.
  const own = parameterShapes(policy.config);
  const weights = policy.weights();
  const optimizer = policy.optimizerState();
  await writeFile(join(next, 'policy.safetensors'), encodeTensors(new Map([...weights].filter(([name]) => own.has(name)))));
  await writeFile(join(next, 'trainer.safetensors'), encodeTensors(new Map([...[...weights].filter(([name]) => !own.has(name)), ...optimizer.tensors])));
  const state: StateFile = { ...progress, fingerprint, optimizerSteps: optimizer.steps, modelConfig: policy.config };
  await writeFile(join(next, 'state.json'), JSON.stringify(state));
  await writeFile(join(next, COMPLETE), '');
  await rm(join(workDir, CURRENT), { recursive: true, force: true });
  await rename(next, join(workDir, CURRENT));
}

export interface RestoredState extends SavedProgress {
  /** The policy with its value head and optimizer state, on the given engine. */
  policy: Model;
}

/**
 * The newest whole checkpoint in `workDir` if its fingerprint matches, else undefined (a stale or foreign one is
 * reported through `log` and ignored). A damaged checkpoint is an error naming the file, not a silent restart.
 */
export async function loadTrainingState(workDir: string, fingerprint: string, engine: Engine, log: (line: string) => void): Promise<RestoredState | undefined> {
  const dir = [CURRENT, NEXT].map((name) => join(workDir, name)).find((candidate) => existsSync(join(candidate, COMPLETE)));
  if (!dir) return undefined;
  const statePath = join(dir, 'state.json');
  let state: StateFile;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
  } catch (error) {
    throw new Error(`corrupt PPO checkpoint ${statePath}: ${(error as Error).message} (delete ${workDir} to start over)`);
  }
  if (state.fingerprint !== fingerprint) {
    log(`ignoring the checkpoint in ${dir}: it was made with a different config or different upstream artifacts`);
    return undefined;
  }
  const read = async (file: string): Promise<Map<string, NamedTensor>> => {
    const path = join(dir, file);
    try {
      return decodeSafetensors(await readFile(path));
    } catch (error) {
      throw new Error(`corrupt PPO checkpoint ${path}: ${(error as Error).message} (delete ${workDir} to start over)`);
    }
  };
  const weights = await read('policy.safetensors');
  const optimizerTensors = new Map<string, NamedTensor>();
  for (const [name, tensor] of await read('trainer.safetensors')) (name.startsWith(`${VALUE_HEAD}.`) ? weights : optimizerTensors).set(name, tensor);
  let policy: Model;
  try {
    policy = engine.createModel(state.modelConfig, weights, [VALUE_HEAD]);
    policy.loadOptimizerState(optimizerTensors, state.optimizerSteps);
  } catch (error) {
    throw new Error(`corrupt PPO checkpoint ${dir}: ${(error as Error).message} (delete ${workDir} to start over)`);
  }
  return { iteration: state.iteration, evalSamples: state.evalSamples, trainRows: state.trainRows, policy };
}
