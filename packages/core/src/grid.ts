import type { PipelineConfig } from './config-schema.ts';

/** One proxy RM of the grid: an RM size × a number of training comparisons × a seed. */
export interface Cell {
  size: string;
  comparisons: number;
  seed: number;
}

/** `<size>-n<comparisons>-s<seed>`: the cell's name in artifact paths and Nx targets. */
export function cellName(cell: Cell): string {
  return `${cell.size}-n${cell.comparisons}-s${cell.seed}`;
}

/** Every cell of proxy.grid, sizes outermost, in the order of the pipeline file. */
export function gridCells(config: PipelineConfig): Cell[] {
  const { sizes, comparisons, seeds } = config.proxy.grid;
  return sizes.flatMap((size) => comparisons.flatMap((n) => seeds.map((seed) => ({ size, comparisons: n, seed }))));
}

/** Parses `<size>-n<comparisons>-s<seed>` and checks the cell is part of the preset's grid. */
export function parseCell(name: string, config: PipelineConfig): Cell {
  const match = /^([a-z0-9][a-z0-9-]*?)-n(\d+)-s(\d+)$/.exec(name);
  const listing = gridCells(config).map(cellName).join(', ');
  if (!match) throw new Error(`cell "${name}" is not of the form <size>-n<comparisons>-s<seed>; the grid of "${config.name}" has: ${listing}`);
  const cell = { size: match[1], comparisons: Number(match[2]), seed: Number(match[3]) };
  if (!gridCells(config).some((c) => cellName(c) === name)) {
    throw new Error(`cell "${name}" is not in the proxy.grid of "${config.name}"; the grid has: ${listing}`);
  }
  return cell;
}

/** One PPO run: a proxy cell × a KL-penalty coefficient × a policy size. */
export interface PpoRun {
  cell: string;
  klCoefficient: number;
  policy: string;
}

/** `<cell>-kl<coefficient>-<policy>`, the coefficient with its decimal point written as "p" (Nx task names). */
export function runName(run: PpoRun): string {
  return `${run.cell}-kl${String(run.klCoefficient).replace('.', 'p')}-${run.policy}`;
}

/** Every PPO run of the preset (none without a ppo section), proxies outermost, in the order of the pipeline file. */
export function ppoRuns(config: PipelineConfig): PpoRun[] {
  if (!config.ppo) return [];
  const policies = config.ppo.policies ?? config.policy.sizes;
  return config.ppo.proxies.flatMap((cell) => config.ppo!.klCoefficients.flatMap((klCoefficient) => policies.map((policy) => ({ cell, klCoefficient, policy }))));
}

/** The run of the preset named `name`, or an error listing the runs there are. */
export function findRun(name: string, config: PipelineConfig): PpoRun {
  const runs = ppoRuns(config);
  const run = runs.find((r) => runName(r) === name);
  if (!run) throw new Error(`PPO run "${name}" is not in "${config.name}"; its runs are: ${runs.map(runName).join(', ') || '(none: no ppo section)'}`);
  return run;
}
