import type { PipelineConfig } from './config-schema.ts';
import {
  CELL_NAME_FORM,
  cellName,
  cellsOf,
  dpoRunName,
  dpoRunsOf,
  parseCellName,
  runName,
  runsOf,
  type Cell,
  type DpoRun,
  type PpoRun,
} from './pipeline/naming.ts';
import type { RewardSource } from './pipeline/sources.ts';

/** Every cell of proxy.grid, sizes outermost, in the order of the pipeline file. */
export function gridCells(config: PipelineConfig): Cell[] {
  return cellsOf(config.proxy.grid);
}

/** Parses a cell name and checks the cell is part of the preset's grid. */
export function parseCell(name: string, config: PipelineConfig): Cell {
  const listing = gridCells(config).map(cellName).join(', ');
  const cell = parseCellName(name);
  if (!cell) throw new Error(`cell "${name}" is not of the form ${CELL_NAME_FORM}; the grid of "${config.name}" has: ${listing}`);
  if (!gridCells(config).some((c) => cellName(c) === name)) {
    throw new Error(`cell "${name}" is not in the proxy.grid of "${config.name}"; the grid has: ${listing}`);
  }
  return cell;
}

/** Every PPO run of the preset (none without a ppo section), proxies outermost, in the order of the pipeline file. */
export function ppoRuns(config: PipelineConfig): PpoRun[] {
  if (!config.ppo) return [];
  return runsOf(config.ppo);
}

/** The run of the preset named `name`, or an error listing the runs there are. */
export function findRun(name: string, config: PipelineConfig): PpoRun {
  const runs = ppoRuns(config);
  const run = runs.find((r) => runName(r) === name);
  if (!run) throw new Error(`PPO run "${name}" is not in "${config.name}"; its runs are: ${runs.map(runName).join(', ') || '(none: no ppo section)'}`);
  return run;
}

/** Every DPO run of the preset (none without a dpo section), proxies outermost, in the order of the pipeline file. */
export function dpoRuns(config: PipelineConfig): DpoRun[] {
  if (!config.dpo) return [];
  return dpoRunsOf(config.dpo);
}

/** The DPO run of the preset named `name`, or an error listing the runs there are. */
export function findDpoRun(name: string, config: PipelineConfig): DpoRun {
  const runs = dpoRuns(config);
  const run = runs.find((r) => dpoRunName(r) === name);
  if (!run) throw new Error(`DPO run "${name}" is not in "${config.name}"; its runs are: ${runs.map(dpoRunName).join(', ') || '(none: no dpo section)'}`);
  return run;
}

/** Seed recorded in a table's row for a source: its members have several. */
export const SOURCE_SEED = -1;

/** The declared source named `name`, or undefined when `name` is not one (a cell). */
export function findSource(name: string, config: PipelineConfig): RewardSource | undefined {
  return config.sources && Object.hasOwn(config.sources, name) ? config.sources[name] : undefined;
}

/** What a proxy's table rows record of it: a cell's size, comparisons and seed, or a source's members' (seed −1). */
export function proxyIdentity(name: string, config: PipelineConfig): Cell {
  const source = findSource(name, config);
  return source ? { size: source.members.size, comparisons: source.members.comparisons, seed: SOURCE_SEED } : parseCell(name, config);
}
