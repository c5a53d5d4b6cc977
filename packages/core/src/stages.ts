import { join } from 'node:path';
import { openStageOutput, type OpenStageOutputOptions, type StageOutput } from './artifact.ts';
import { ArtifactError, MANIFEST_FILE } from './manifest.ts';
import { codeVersion } from './hash.ts';
import { pickFields } from './pipeline/fields.ts';
import { cellName, runName } from './pipeline/naming.ts';
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

/** The manifest config key naming a fanned-out task's unit (a proxy cell, a PPO run, a source's own model). */
const UNIT_KEYS = ['cell', 'run', 'source'] as const;

/**
 * Opens an entry's output, verified against its manifest; a missing one names the task that makes it. The manifest
 * must name the preset and unit asked for (a cell copied over another, or from another preset, is refused naming
 * both), and, given the preset's config, record the values the entry reads that the config has now (an output made
 * before an edit, and not remade, is refused naming the field and both values).
 */
export async function openStage(
  root: string,
  preset: string | { name: string },
  entry: StageId,
  unit?: string,
  options: Omit<OpenStageOutputOptions, 'hint'> = {},
): Promise<StageOutput> {
  const name = typeof preset === 'string' ? preset : preset.name;
  const hint = stageHint(name, entry, unit);
  const output = await openStageOutput(stageOutputDir(root, name, entry, unit), stageName(entry), { ...options, hint });
  const { manifest } = output;
  const where = join(output.dir, MANIFEST_FILE);
  const refuse = (what: string): never => {
    throw new ArtifactError(`wrong artifact: ${where} ${what}; rerun it (${hint})`, where, stageName(entry));
  };
  if (manifest.pipeline !== name) refuse(`was made for preset ${shown(manifest.pipeline)}, not for ${shown(name)}`);
  const recordedConfig: Record<string, unknown> =
    typeof manifest.config === 'object' && manifest.config !== null ? (manifest.config as Record<string, unknown>) : {};
  if (unit !== undefined) {
    for (const key of UNIT_KEYS) {
      const recorded = unitName(recordedConfig[key]);
      if (recorded !== undefined && recorded !== unit) refuse(`was made for ${key} ${shown(recorded)}, not for ${shown(unit)}`);
    }
  }
  if (typeof preset !== 'string') {
    const expected = stageConfig(preset, entry);
    for (const field of STAGES[entry].fields) {
      const want = stableJson(pickFields(expected, [field]));
      const got = stableJson(pickFields(recordedConfig, [field]));
      if (want !== got) refuse(`was made with ${field} = ${clipped(got)}; the pipeline file has ${clipped(want)}`);
    }
  }
  return output;
}

/** A recorded unit as its name: a cell is recorded as { size, comparisons, seed }, a run as { cell, klCoefficient, policy }. */
function unitName(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const { size, comparisons, seed, cell, klCoefficient, policy } = value as Record<string, unknown>;
  if (typeof size === 'string' && typeof comparisons === 'number' && typeof seed === 'number') return cellName({ size, comparisons, seed });
  if (typeof cell === 'string' && typeof klCoefficient === 'number' && typeof policy === 'string') return runName({ cell, klCoefficient, policy });
  return value;
}

function shown(value: unknown): string {
  return clipped(JSON.stringify(value) ?? String(value));
}

function clipped(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** JSON with object keys sorted, so equal values compare equal however they were assembled. */
function stableJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sorted(value)) ?? 'undefined';
}

/** The config fields an entry reads (the ones Nx hashes for it), as its manifest records them. */
export function stageConfig(config: object, entry: StageId): Record<string, unknown> {
  return pickFields(config, STAGES[entry].fields);
}

/** The code version recorded in a stage's manifest: a hash of the named packages' sources under `root`. */
export function packagesCodeVersion(root: string, packages: readonly string[]): string {
  return codeVersion(packages.map((name) => join(root, 'packages', name, 'src')));
}
