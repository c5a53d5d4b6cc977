import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '@goodhart/core';
import { decodeSafetensors, encodeTensors, parameterShapes, type Engine, type Model, type ModelConfig, type NamedTensor } from '@goodhart/model';
import { VALUE_HEAD } from './batch.ts';
import type { EvalSample } from './evaluation.ts';
import type { IterationStats } from './trainer.ts';

/**
 * A resumable PPO checkpoint in the run's work directory (outside the stage output, which appears only when the
 * run finishes): policy weights, value head, optimizer moments and step count, the iteration reached, and the
 * evaluation and training rows so far. Randomness needs no state: each iteration and evaluation draws from a
 * generator seeded by its own index, so resuming from any earlier checkpoint ends with the same numbers.
 *
 * Written to `next/`, whose `complete` marker (written last) records the sha256 of every file; then `current/`
 * becomes `previous/` and `next/` becomes `current/`. A kill at any moment leaves at least one whole checkpoint,
 * and a checkpoint whose bytes no longer match its marker is refused with a warning: the run goes back to the
 * previous one, or starts over.
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
const PREVIOUS = 'previous';
const COMPLETE = 'complete';
const FILES = ['policy.safetensors', 'trainer.safetensors', 'state.json'] as const;

/** The `complete` marker: the checkpoint's files and their hashes. */
interface CompleteMarker {
  sha256: Record<string, string>;
}

export async function saveTrainingState(workDir: string, fingerprint: string, progress: SavedProgress, policy: Model): Promise<void> {
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
  const marker: CompleteMarker = { sha256: {} };
  for (const file of FILES) marker.sha256[file] = await sha256File(join(next, file));
  await writeFile(join(next, COMPLETE), `${JSON.stringify(marker, null, 2)}\n`);
  // Keep the checkpoint before this one: if this one is damaged later, the run goes back there.
  await rm(join(workDir, PREVIOUS), { recursive: true, force: true });
  if (existsSync(join(workDir, CURRENT))) await rename(join(workDir, CURRENT), join(workDir, PREVIOUS));
  await rename(next, join(workDir, CURRENT));
}

/** Why the checkpoint in `dir` cannot be trusted, or undefined if every file matches the hash its marker records. */
async function damage(dir: string): Promise<string | undefined> {
  let marker: CompleteMarker;
  try {
    marker = JSON.parse(await readFile(join(dir, COMPLETE), 'utf8')) as CompleteMarker;
  } catch (error) {
    return `its ${COMPLETE} marker records no hashes (${(error as Error).message})`;
  }
  for (const file of FILES) {
    const expected = marker?.sha256?.[file];
    if (typeof expected !== 'string') return `its ${COMPLETE} marker records no hash for ${file}`;
    const path = join(dir, file);
    if (!existsSync(path)) return `${file} is missing`;
    const actual = await sha256File(path);
    if (actual !== expected) return `${file} has sha256 ${actual}, its ${COMPLETE} marker records ${expected}`;
  }
  return undefined;
}

export interface RestoredState extends SavedProgress {
  /** The policy with its value head and optimizer state, on the given engine. */
  policy: Model;
}

/**
 * The newest whole, intact checkpoint in `workDir` if its fingerprint matches, else undefined (the run starts over).
 * A stale or foreign checkpoint is reported through `log` and ignored; a damaged one (bytes that do not match the
 * hashes recorded when it was written) is refused with a warning through `log`, and the one before it is tried.
 */
export async function loadTrainingState(workDir: string, fingerprint: string, engine: Engine, log: (line: string) => void): Promise<RestoredState | undefined> {
  // Newest first: a complete next/ is newer than current/, which is newer than previous/.
  const candidates = [NEXT, CURRENT, PREVIOUS].map((name) => join(workDir, name)).filter((candidate) => existsSync(join(candidate, COMPLETE)));
  for (const dir of candidates) {
    const why = await damage(dir);
    if (why !== undefined) {
      log(`warning: refusing the corrupt PPO checkpoint in ${dir}: ${why}`);
      continue;
    }
    const restored = await restore(dir, fingerprint, engine, log);
    if (restored === 'stale') return undefined;
    if (typeof restored === 'string') {
      log(`warning: refusing the corrupt PPO checkpoint in ${dir}: ${restored}`);
      continue;
    }
    return restored;
  }
  if (candidates.length > 0) log(`warning: no intact PPO checkpoint in ${workDir}; starting the run over`);
  return undefined;
}

/** The checkpoint in `dir` (hashes already checked), 'stale' if made from other inputs, or why it cannot be read. */
async function restore(dir: string, fingerprint: string, engine: Engine, log: (line: string) => void): Promise<RestoredState | 'stale' | string> {
  let state: StateFile;
  try {
    state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as StateFile;
  } catch (error) {
    return `state.json: ${(error as Error).message}`;
  }
  if (state.fingerprint !== fingerprint) {
    log(`ignoring the checkpoint in ${dir}: it was made with a different config or different upstream artifacts`);
    return 'stale';
  }
  let policy: Model | undefined;
  try {
    const weights = decodeSafetensors(await readFile(join(dir, 'policy.safetensors')));
    const optimizerTensors = new Map<string, NamedTensor>();
    for (const [name, tensor] of decodeSafetensors(await readFile(join(dir, 'trainer.safetensors'))))
      (name.startsWith(`${VALUE_HEAD}.`) ? weights : optimizerTensors).set(name, tensor);
    policy = engine.createModel(state.modelConfig, weights, [VALUE_HEAD]);
    policy.loadOptimizerState(optimizerTensors, state.optimizerSteps);
    return { iteration: state.iteration, evalSamples: state.evalSamples, trainRows: state.trainRows, policy };
  } catch (error) {
    policy?.dispose();
    return (error as Error).message;
  }
}
