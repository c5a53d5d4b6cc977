import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, encodeTensors, Transformer, type ModelConfig } from '@goodhart/model';
import type { EvalSample } from './evaluation.ts';
import type { IterationStats } from './trainer.ts';
import { ValueHead } from './value-head.ts';

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
  models: { policy: Transformer; head: ValueHead; optimizer: { tensors: Map<string, tf.Tensor>; steps: number } },
): Promise<void> {
  const next = join(workDir, NEXT);
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  await writeFile(join(next, 'policy.safetensors'), encodeTensors(models.policy.params));
  await writeFile(join(next, 'trainer.safetensors'), encodeTensors(new Map<string, tf.Tensor>([...models.head.params, ...models.optimizer.tensors])));
  const state: StateFile = { ...progress, fingerprint, optimizerSteps: models.optimizer.steps, modelConfig: models.policy.config };
  await writeFile(join(next, 'state.json'), JSON.stringify(state));
  await writeFile(join(next, COMPLETE), '');
  await rm(join(workDir, CURRENT), { recursive: true, force: true });
  await rename(next, join(workDir, CURRENT));
}

export interface RestoredState extends SavedProgress {
  policy: Transformer;
  head: ValueHead;
  optimizerTensors: Map<string, tf.Tensor>;
  optimizerSteps: number;
}

/**
 * The newest whole checkpoint in `workDir` if its fingerprint matches, else undefined (a stale or foreign one is
 * reported through `log` and ignored). A damaged checkpoint is an error naming the file, not a silent restart.
 */
export async function loadTrainingState(workDir: string, fingerprint: string, log: (line: string) => void): Promise<RestoredState | undefined> {
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
  const read = async (file: string): Promise<Map<string, tf.Tensor>> => {
    const path = join(dir, file);
    try {
      return decodeSafetensors(await readFile(path));
    } catch (error) {
      throw new Error(`corrupt PPO checkpoint ${path}: ${(error as Error).message} (delete ${workDir} to start over)`);
    }
  };
  const policy = Transformer.fromTensors(state.modelConfig, await read('policy.safetensors'));
  const trainer = await read('trainer.safetensors');
  const headTensors = new Map<string, tf.Tensor>();
  const optimizerTensors = new Map<string, tf.Tensor>();
  for (const [name, tensor] of trainer) (name.startsWith('value.') ? headTensors : optimizerTensors).set(name, tensor);
  const head = ValueHead.fromTensors(headTensors, state.modelConfig.dModel);
  return { iteration: state.iteration, evalSamples: state.evalSamples, trainRows: state.trainRows, policy, head, optimizerTensors, optimizerSteps: state.optimizerSteps };
}
