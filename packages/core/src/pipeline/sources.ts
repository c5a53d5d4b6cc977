/**
 * Reward sources: what best-of-n and PPO optimise. A proxy grid cell is a source by its own name (the default, and
 * the only kind before `sources` existed); the pipeline file's `sources` declares the others by name:
 *
 * - `ensemble`: several cells of one size and comparisons count (seeds differ), combined per sample by an objective:
 *   `mean`, `worst` (worst-case optimisation, WCO) or `uncertainty` (UWO: mean − λ·variance across members).
 *
 * SOURCE_KINDS is the one place a kind is described for the planner: which models score samples for it. Free of
 * dependencies, as the Nx plugin loads it.
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

export type RewardSource = EnsembleSource;
export type SourceKindName = RewardSource['kind'];

export interface SourceKind {
  /**
   * The models that score samples for the source: proxy cells, or the source itself when it has a model of its own.
   * Best-of-n scores its pool once with each; PPO loads each.
   */
  scorers: (name: string, source: RewardSource) => string[];
}

export const SOURCE_KINDS: Record<SourceKindName, SourceKind> = {
  ensemble: { scorers: (_name, source) => memberCells(source.members).map(cellName) },
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
