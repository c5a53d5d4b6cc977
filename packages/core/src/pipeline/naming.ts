/**
 * The names of the pipeline's fanned-out units, spelled here and nowhere else: a proxy grid cell
 * (`<size>-n<comparisons>-s<seed>`), a PPO run (`<cell>-kl<β>-<policy>`), and the Nx names built from them.
 * Imported by the Nx plugin too, so this module stays free of heavy dependencies.
 */

/** Preset, model-size and package names: lower-case letters, digits and dashes. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** A preset name (the pipeline file's name and its "name" field): lower-case words of letters and digits joined by single dashes. */
export const PRESET_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Separates package, preset and unit in generated Nx project and target names (`proxy--test--tiny-n20-s0`). */
export const NAME_SEPARATOR = '--';

/** One proxy RM of the grid: an RM size × a number of training comparisons × a seed. */
export interface Cell {
  size: string;
  comparisons: number;
  seed: number;
}

/** More seeds at some sizes only (proxy.grid.extraSeeds): replicates where they matter, without a full product. */
export interface ExtraSeeds {
  sizes: readonly string[];
  seeds: readonly number[];
}

/**
 * The grid a preset's cells are drawn from (proxy.grid): the full product sizes × comparisons × seeds, plus, at
 * each size of extraSeeds.sizes, every comparisons count with each of extraSeeds.seeds.
 */
export interface GridAxes {
  sizes: readonly string[];
  comparisons: readonly number[];
  seeds: readonly number[];
  extraSeeds?: ExtraSeeds | undefined;
}

/** `<size>-n<comparisons>-s<seed>`: the cell's name in artifact paths and Nx targets. */
export function cellName(cell: Cell): string {
  return `${cell.size}-n${cell.comparisons}-s${cell.seed}`;
}

/** The form of a cell name, for messages. */
export const CELL_NAME_FORM = '<size>-n<comparisons>-s<seed>';

/** The cell a name spells, or undefined when it is not of the form `<size>-n<comparisons>-s<seed>`. */
export function parseCellName(name: string): Cell | undefined {
  const match = /^([a-z0-9][a-z0-9-]*?)-n(\d+)-s(\d+)$/.exec(name);
  return match ? { size: match[1], comparisons: Number(match[2]), seed: Number(match[3]) } : undefined;
}

/** The seeds trained at one size of a grid: the grid's seeds, then its extra seeds if the size has them. */
export function seedsAt(grid: GridAxes, size: string): readonly number[] {
  return grid.extraSeeds?.sizes.includes(size) ? [...grid.seeds, ...grid.extraSeeds.seeds] : grid.seeds;
}

/**
 * How many cells cellsOf(grid) lists, counted without listing them (linear in the lengths of the lists), so a
 * grid far over the cell limit is refused at once.
 */
export function cellCount(grid: GridAxes): number {
  const extraSizes = new Set(grid.extraSeeds?.sizes ?? []);
  const sizesWithExtra = grid.sizes.filter((size) => extraSizes.has(size)).length;
  return grid.comparisons.length * (grid.sizes.length * grid.seeds.length + sizesWithExtra * (grid.extraSeeds?.seeds.length ?? 0));
}

/**
 * Every cell of a grid: sizes outermost (in the order of the pipeline file), then comparisons counts, then seeds
 * (the grid's seeds, then the extra seeds of that size). The one place cells are enumerated.
 */
export function cellsOf(grid: GridAxes): Cell[] {
  return grid.sizes.flatMap((size) => {
    const seeds = seedsAt(grid, size);
    return grid.comparisons.flatMap((comparisons) => seeds.map((seed) => ({ size, comparisons, seed })));
  });
}

/** One PPO run: a proxy cell × a KL-penalty coefficient × a policy size. */
export interface PpoRun {
  cell: string;
  klCoefficient: number;
  policy: string;
}

/** The sweep a preset's PPO runs are drawn from. */
export interface RunAxes {
  proxies: readonly string[];
  klCoefficients: readonly number[];
  policies: readonly string[];
}

/** `<cell>-kl<coefficient>-<policy>`, the coefficient's decimal point written as "p" (Nx task names). */
export function runName(run: PpoRun): string {
  return `${run.cell}-kl${String(run.klCoefficient).replace('.', 'p')}-${run.policy}`;
}

/** Every run of a sweep, proxies outermost, in the order of the pipeline file. */
export function runsOf(axes: RunAxes): PpoRun[] {
  return axes.proxies.flatMap((cell) => axes.klCoefficients.flatMap((klCoefficient) => axes.policies.map((policy) => ({ cell, klCoefficient, policy }))));
}

/**
 * The target of a preset-wide task in its package's project: `pipeline-<preset>` (`fit:pipeline-quick`). Not the bare
 * preset name, because every package also has the targets `test`, `typecheck` and `lint`, and `test` is a preset.
 */
export function presetTargetName(preset: string): string {
  return `pipeline-${preset}`;
}

/** The Nx project of a task that has a project of its own: `<package>--<preset>--<unit>`. */
export function unitProjectName(packageName: string, preset: string, unit: string): string {
  return [packageName, preset, unit].join(NAME_SEPARATOR);
}

/** The alias target of such a task in its package's project: `<preset>--<unit>`. */
export function unitTargetName(preset: string, unit: string): string {
  return [preset, unit].join(NAME_SEPARATOR);
}

/** The losses a DPO run can train with: DPO's logistic loss or IPO's squared one. */
export const DPO_LOSSES = ['dpo', 'ipo'] as const;
export type DpoLoss = (typeof DPO_LOSSES)[number];

/** dpo.losses when absent (the schema and the planner both apply it): DPO's loss alone. */
export const DEFAULT_DPO_LOSSES: readonly DpoLoss[] = ['dpo'];

/** One direct-alignment run: the training comparisons of a proxy cell × a loss × a β. */
export interface DpoRun {
  cell: string;
  loss: DpoLoss;
  beta: number;
}

/** The sweep a preset's DPO runs are drawn from. */
export interface DpoAxes {
  proxies: readonly string[];
  losses: readonly DpoLoss[];
  betas: readonly number[];
}

/** `<cell>-<loss>-b<β>`, β's decimal point written as "p" (`m-n4000-s0-dpo-b0p1`). */
export function dpoRunName(run: DpoRun): string {
  return `${run.cell}-${run.loss}-b${String(run.beta).replace('.', 'p')}`;
}

/** Every DPO run of a sweep, proxies outermost, then losses, then βs, in the order of the pipeline file. */
export function dpoRunsOf(axes: DpoAxes): DpoRun[] {
  return axes.proxies.flatMap((cell) => axes.losses.flatMap((loss) => axes.betas.map((beta) => ({ cell, loss, beta }))));
}
