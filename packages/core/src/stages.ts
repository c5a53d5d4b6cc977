import { join } from 'node:path';
import { openStageOutput, type OpenStageOutputOptions, type StageOutput } from './artifact.ts';
import { codeVersion } from './hash.ts';
import { pickFields } from './pipeline/fields.ts';
import { taskCommandName, taskNames, taskOutput } from './pipeline/plan.ts';
import { STAGES, type StageId } from './pipeline/registry.ts';

/** Where a registry entry's task writes (artifacts/<preset>/<package>/...), for a cell, run or the preset. */
export function stageOutputDir(root: string, preset: string, entry: StageId, unit?: string): string {
  return join(root, ...taskOutput(STAGES[entry], preset, unit));
}

/** Scratch space of an entry's unit that outlives a killed run (PPO's resumable checkpoints): artifacts/<preset>/<package>/work/<unit>. */
export function stageWorkDir(root: string, preset: string, entry: StageId, unit: string): string {
  return join(root, 'artifacts', preset, STAGES[entry].package, 'work', unit);
}

/** How a user makes a missing output: the Nx task, or the whole pipeline. */
export function stageHint(preset: string, entry: StageId, unit?: string): string {
  return `npx nx run ${taskCommandName(taskNames(STAGES[entry], preset, unit))}, or npm run pipeline -- --preset ${preset}`;
}

/** The stage name written into an entry's manifests (its package). */
export function stageName(entry: StageId): string {
  return STAGES[entry].package;
}

/** Opens an entry's output, verified against its manifest; a missing one names the task that makes it. */
export function openStage(
  root: string,
  preset: string,
  entry: StageId,
  unit?: string,
  options: Omit<OpenStageOutputOptions, 'hint'> = {},
): Promise<StageOutput> {
  return openStageOutput(stageOutputDir(root, preset, entry, unit), stageName(entry), { ...options, hint: stageHint(preset, entry, unit) });
}

/** The config fields an entry reads (the ones Nx hashes for it), as its manifest records them. */
export function stageConfig(config: object, entry: StageId): Record<string, unknown> {
  return pickFields(config, STAGES[entry].fields);
}

/** The code version recorded in a stage's manifest: a hash of the named packages' sources under `root`. */
export function packagesCodeVersion(root: string, packages: readonly string[]): string {
  return codeVersion(packages.map((name) => join(root, 'packages', name, 'src')));
}
