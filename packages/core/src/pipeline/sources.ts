/**
 * Reward sources: what best-of-n and PPO optimise. A proxy grid cell is a source by its own name (the default, and
 * the only kind before `sources` existed); the pipeline file's `sources` declares the others by name:
 *
 * - `ensemble`: several cells of one size and comparisons count (seeds differ), combined per sample by an objective:
 *   `mean`, `worst` (worst-case optimisation, WCO) or `uncertainty` (UWO: mean − λ·variance across members);
 * - `weightAverage`: one model whose weights are the elementwise mean of the members' (WARM); the members share the
 *   pretrained LM of their size, so their weights are close enough to average.
 *
 * SOURCE_KINDS is the one place a kind is described for the planner: which models score samples for it, and
 * whether it has a model of its own (made by a registry entry of fan-out `sourceModel`). Free of dependencies, as
 * the Nx plugin loads it.
 */
import { cellName, type Cell } from './naming.ts';

/** The members of a source: cells of one size and comparisons count, one per seed. */
export interface SourceMembers {
  size: string;
  comparisons: number;
  seeds: readonly number[];
}

export const ENSEMBLE_OBJECTIVES = ['mean', 'worst', 'uncertainty'] as const;
export type EnsembleObjective = (typeof ENSEMBLE_OBJECTIVES)[number];

export interface EnsembleSource {
  kind: 'ensemble';
  members: SourceMembers;
  objective: EnsembleObjective;
  /** UWO's weight on the members' variance (objective `uncertainty` only). */
  lambda?: number | undefined;
}

export interface WeightAverageSource {
  kind: 'weightAverage';
  members: SourceMembers;
}

export type RewardSource = EnsembleSource | WeightAverageSource;
export type SourceKindName = RewardSource['kind'];

export interface SourceKind {
  /**
   * The models that score samples for the source: proxy cells, or the source itself when it has a model of its own.
   * Best-of-n scores its pool once with each; PPO loads each.
   */
  scorers: (name: string, source: RewardSource) => string[];
  /** Whether a `sourceModel` task makes a model for the source from its members. */
  ownModel: boolean;
}

export const SOURCE_KINDS: Record<SourceKindName, SourceKind> = {
  ensemble: { scorers: (_name, source) => memberCells(source.members).map(cellName), ownModel: false },
  weightAverage: { scorers: (name) => [name], ownModel: true },
};

export const SOURCE_KIND_NAMES = Object.keys(SOURCE_KINDS) as SourceKindName[];

/** The cells of a source's members, in the order of its seeds. */
export function memberCells(members: SourceMembers): Cell[] {
  return members.seeds.map((seed) => ({ size: members.size, comparisons: members.comparisons, seed }));
}

/** The models whose tasks make what a source (or a cell, when `sources` does not name it) is scored with. */
export function scorersOf(name: string, sources: Readonly<Record<string, RewardSource>>): string[] {
  const source = sources[name];
  return source ? SOURCE_KINDS[source.kind].scorers(name, source) : [name];
}

/** The models a source reads to make or be its reward: its scorers, or for a model of its own, its members. */
export function modelsOf(name: string, sources: Readonly<Record<string, RewardSource>>): string[] {
  const source = sources[name];
  return source && SOURCE_KINDS[source.kind].ownModel ? memberCells(source.members).map(cellName) : scorersOf(name, sources);
}

/** Whether `name` is a declared source with a model of its own (opened from its `sourceModel` task, not a cell's). */
export function hasOwnModel(name: string, sources: Readonly<Record<string, RewardSource>>): boolean {
  const source = sources[name];
  return source !== undefined && SOURCE_KINDS[source.kind].ownModel;
}
