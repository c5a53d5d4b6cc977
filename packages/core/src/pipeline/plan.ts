import {
  cellCount,
  cellName,
  cellsOf,
  NAME_PATTERN,
  NAME_SEPARATOR,
  PRESET_NAME_PATTERN,
  presetTargetName,
  runName,
  runsOf,
  dpoRunName,
  dpoRunsOf,
  DPO_LOSSES,
  DEFAULT_DPO_LOSSES,
  type DpoLoss,
  unitProjectName,
  unitTargetName,
  type ExtraSeeds,
  type GridAxes,
} from './naming.ts';
import { MAX_GRID_CELLS, MAX_PPO_RUNS } from '../config-limits.ts';
import { STAGES, type StageEntry } from './registry.ts';
import { aloneTaskIds } from './alone.ts';
import { withSweepDefaults } from './sweep-defaults.ts';
import { modelsOf, scorersOf, SOURCE_KINDS, type RewardSource } from './sources.ts';
import { parseSeedVariant } from './seed-variant.ts';

/**
 * The tasks of one preset, derived from the registry and the preset's sweep fields. Reads the raw pipeline JSON (the
 * Nx plugin builds the graph before any validation), so it checks only what names and fan-out come from; the stage
 * CLIs validate the whole file when they run.
 */

export interface TaskNames {
  project: string;
  target: string;
  /** Its friendly name in the package's project (`fit:pipeline-test`, `proxy:test--tiny-n20-s0`), an Nx no-op. */
  alias: { project: string; target: string };
}

export interface PlannedTask extends TaskNames {
  /** `project:target`, as Nx names the task. */
  id: string;
  entry: string;
  package: string;
  /** The cell, run or own-project name the task is for; undefined for a task per preset. */
  unit?: string;
  /** The proxy cell of a cell or best-of-n score task, the proxy (a cell or a source) of a PPO run. */
  cell?: string;
  /**
   * The proxy models the task reads (the units of its `sameCell` upstream tasks): its cell, a source's member cells,
   * or a source's own model.
   */
  models?: string[];
  /** Relative to the workspace root, with forward slashes. */
  output: string;
  /** The module the command runs, relative to the workspace root: the Nx plugin hashes the source it reaches. */
  main: string;
  command: string;
  fields: readonly string[];
  externalDependencies: readonly string[];
  /** Ids of the tasks this one runs after. */
  upstream: string[];
  description: string;
  /**
   * Whether every other task of the preset runs before or after this one (see alone.ts): nothing can ever run beside
   * it, so its native engine takes every thread the pipeline was given, not one `--parallel` share.
   */
  alone: boolean;
}

/** A stage's entry point, relative to its package, unless its registry entry names another (`main`). */
export const DEFAULT_MAIN = 'src/cli.ts';

export type Registry = Record<string, StageEntry>;

/** How a user runs a task: the alias when it has one. */
export function taskCommandName(names: TaskNames): string {
  const { project, target } = names.alias;
  return `${project}:${target}`;
}

/** The target of a preset-wide task in its own project (`fit--quick:run`); entries may name another (ownProject). */
export const PRESET_TASK_TARGET = 'run';

/**
 * Nx names of an entry's task for a preset and unit. Every task has a project of its own, whose configuration (which
 * Nx hashes into the task) depends on that task alone: `<package>--<preset>` for a preset-wide task, aliased as
 * `<package>:pipeline-<preset>`; `<package>--<preset>--<unit>` for a cell, run or named unit, aliased as
 * `<package>:<preset>--<unit>`. So a new preset, or another preset's new cell or edited field, leaves its hash alone.
 */
export function taskNames(entry: StageEntry, preset: string, unit?: string): TaskNames {
  const name = entry.ownProject?.unit ?? unit;
  if (entry.fanOut === 'preset' && name === undefined) {
    return {
      project: [entry.package, preset].join(NAME_SEPARATOR),
      target: entry.ownProject?.target ?? PRESET_TASK_TARGET,
      alias: { project: entry.package, target: presetTargetName(preset) },
    };
  }
  if (name === undefined) throw new Error(`the ${entry.package} task of "${preset}" fans out and needs a unit name`);
  return {
    project: unitProjectName(entry.package, preset, name),
    target: entry.ownProject?.target ?? PRESET_TASK_TARGET,
    alias: { project: entry.package, target: unitTargetName(preset, name) },
  };
}

/** Where an entry's task writes, relative to the workspace root. */
export function taskOutput(entry: StageEntry, preset: string, unit: string | undefined): string[] {
  return ['artifacts', preset, entry.package, ...entry.output(entry.ownProject?.unit ?? unit ?? '')];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** proxy.grid, checked only as far as cell names need; a problem names the field. */
function readGrid(config: unknown): GridAxes | { problem: string } {
  const proxy = isObject(config) ? config.proxy : undefined;
  const grid = isObject(proxy) ? proxy.grid : undefined;
  if (!isObject(grid)) return { problem: 'missing object "proxy.grid"' };
  const { sizes, comparisons, seeds } = grid;
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => typeof s === 'string' && NAME_PATTERN.test(s))) {
    return { problem: '"proxy.grid.sizes" must be a non-empty array of model names (lower-case letters, digits, dashes)' };
  }
  if (!Array.isArray(comparisons) || comparisons.length === 0 || !comparisons.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    return { problem: '"proxy.grid.comparisons" must be a non-empty array of positive integers' };
  }
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return { problem: '"proxy.grid.seeds" must be a non-empty array of non-negative integers' };
  }
  const axes = { sizes: [...new Set(sizes as string[])], comparisons: [...new Set(comparisons as number[])], seeds: [...new Set(seeds as number[])] };
  const extra = readExtraSeeds(grid.extraSeeds, axes);
  if (extra && 'problem' in extra) return extra;
  return { ...axes, extraSeeds: extra };
}

/**
 * proxy.grid.extraSeeds (optional), checked as far as cell names need. Sizes outside the grid and seeds the grid
 * already has are left out, as repeats are above, so no cell is planned twice; the stage CLIs report them.
 */
function readExtraSeeds(extra: unknown, axes: { sizes: string[]; seeds: number[] }): ExtraSeeds | undefined | { problem: string } {
  if (extra === undefined) return undefined;
  if (!isObject(extra)) return { problem: '"proxy.grid.extraSeeds" must be an object { sizes, seeds }' };
  const { sizes, seeds } = extra;
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => typeof s === 'string')) {
    return { problem: `"proxy.grid.extraSeeds.sizes" must be a non-empty array of sizes of proxy.grid.sizes (${axes.sizes.join(', ')})` };
  }
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return { problem: '"proxy.grid.extraSeeds.seeds" must be a non-empty array of non-negative integers' };
  }
  const gridSizes = new Set(axes.sizes);
  const gridSeeds = new Set(axes.seeds);
  return {
    sizes: [...new Set(sizes as string[])].filter((size) => gridSizes.has(size)),
    seeds: [...new Set(seeds as number[])].filter((seed) => !gridSeeds.has(seed)),
  };
}

/**
 * The declared sources whose members are all cells of the grid, as far as the plan needs them (kind and members);
 * anything else is left out (the stage CLIs report it).
 */
function readSources(config: unknown, cells: readonly string[]): Record<string, RewardSource> {
  const declared = isObject(config) ? config.sources : undefined;
  if (!isObject(declared)) return {};
  const sources: Record<string, RewardSource> = {};
  for (const [name, source] of Object.entries(declared)) {
    if (!NAME_PATTERN.test(name) || cells.includes(name) || !isObject(source) || !isObject(source.members)) continue;
    const { size, comparisons, seeds } = source.members;
    if (typeof size !== 'string' || typeof comparisons !== 'number' || !Array.isArray(seeds) || !seeds.every((seed) => typeof seed === 'number')) continue;
    const { kind } = source;
    if (typeof kind !== 'string' || !Object.hasOwn(SOURCE_KINDS, kind)) continue;
    // Read as far as the plan needs (kind and members); the rest is the stages' to check.
    const parsed = { ...source, kind, members: { size, comparisons, seeds: [...new Set(seeds as number[])] } } as unknown as RewardSource;
    if (modelsOf(name, { [name]: parsed }).every((model) => cells.includes(model))) sources[name] = parsed;
  }
  return sources;
}

/**
 * The proxies of bon.proxies when given (names neither a cell nor a source are left out; the stage reports them),
 * else every cell, then every source.
 */
function bonProxyNames(config: unknown, cells: readonly string[], sources: Readonly<Record<string, RewardSource>>): string[] {
  const known = [...cells, ...Object.keys(sources)];
  const bon = isObject(config) ? config.bon : undefined;
  const chosen = isObject(bon) ? bon.proxies : undefined;
  if (!Array.isArray(chosen)) return known;
  return chosen.filter((name): name is string => typeof name === 'string' && known.includes(name));
}

/** The models best-of-n scores its pool with: each proxy's scorers (pipeline/sources.ts), each once. */
function bonScorers(config: unknown, cells: readonly string[], sources: Readonly<Record<string, RewardSource>>): string[] {
  return [...new Set(bonProxyNames(config, cells, sources).flatMap((name) => scorersOf(name, sources)))];
}

/** ppo.klCoefficients and ppo.policies as listed, or their defaults (the schema's); anything but a list counts as empty. */
function sweepLists(config: unknown, ppo: Record<string, unknown>): { klCoefficients: readonly unknown[]; policies: readonly unknown[] } {
  const list = (value: unknown): unknown[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : []);
  const policy = isObject(config) ? config.policy : undefined;
  return withSweepDefaults({ klCoefficients: list(ppo.klCoefficients), policies: list(ppo.policies) }, list(isObject(policy) ? policy.sizes : undefined) ?? []);
}

/** An upper bound on the PPO runs (proxies × KL coefficients × policies as listed), without enumerating them. */
function ppoRunCount(config: unknown): number {
  const ppo = isObject(config) ? config.ppo : undefined;
  if (!isObject(ppo)) return 0;
  const sweep = sweepLists(config, ppo);
  return (Array.isArray(ppo.proxies) ? ppo.proxies.length : 0) * sweep.klCoefficients.length * sweep.policies.length;
}

/** The PPO runs (none without a ppo section); entries that cannot name a run are left out (the stage reports them). */
function ppoRunUnits(config: unknown, known: readonly string[]): { run: string; cell: string }[] {
  const ppo = isObject(config) ? config.ppo : undefined;
  if (!isObject(ppo)) return [];
  const sweep = sweepLists(config, ppo);
  const proxies = (Array.isArray(ppo.proxies) ? ppo.proxies : []).filter((name): name is string => typeof name === 'string' && known.includes(name));
  const klCoefficients = sweep.klCoefficients.filter((k): k is number => typeof k === 'number' && k >= 0);
  const policies = sweep.policies.filter((s): s is string => typeof s === 'string' && NAME_PATTERN.test(s));
  return runsOf({ proxies, klCoefficients, policies }).map((run) => ({ run: runName(run), cell: run.cell }));
}

/** An upper bound on the DPO runs (proxies × losses × βs as listed), without enumerating them. */
function dpoRunCount(config: unknown): number {
  const dpo = isObject(config) ? config.dpo : undefined;
  if (!isObject(dpo)) return 0;
  const length = (value: unknown, absent: number): number => (value === undefined ? absent : Array.isArray(value) ? value.length : 0);
  return length(dpo.proxies, 0) * length(dpo.losses, DEFAULT_DPO_LOSSES.length) * length(dpo.betas, 0);
}

/** The DPO runs (none without a dpo section); entries that cannot name a run are left out (the stage reports them). */
function dpoRunUnits(config: unknown, cells: readonly string[]): { run: string; cell: string }[] {
  const dpo = isObject(config) ? config.dpo : undefined;
  if (!isObject(dpo)) return [];
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const proxies = list(dpo.proxies).filter((cell): cell is string => typeof cell === 'string' && cells.includes(cell));
  const losses = (dpo.losses === undefined ? DEFAULT_DPO_LOSSES : list(dpo.losses)).filter((loss): loss is DpoLoss =>
    (DPO_LOSSES as readonly unknown[]).includes(loss),
  );
  const betas = list(dpo.betas).filter((beta): beta is number => typeof beta === 'number' && beta > 0);
  return dpoRunsOf({ proxies: [...new Set(proxies)], losses: [...new Set(losses)], betas: [...new Set(betas)] }).map((run) => ({
    run: dpoRunName(run),
    cell: run.cell,
  }));
}

interface Unit {
  unit?: string;
  cell?: string;
  models?: string[];
}

/** The units an entry fans out over, each with its proxy (cell or source) and the models it reads where it has them. */
function unitsOf(entry: StageEntry, config: unknown, cells: readonly string[]): Unit[] {
  const sources = entry.fanOut === 'preset' || entry.fanOut === 'cell' ? {} : readSources(config, cells);
  switch (entry.fanOut) {
    case 'preset':
      return [{ unit: entry.ownProject?.unit }];
    case 'cell':
      return cells.map((cell) => ({ unit: cell, cell, models: [cell] }));
    case 'sourceModel':
      return Object.keys(sources)
        .filter((name) => SOURCE_KINDS[sources[name].kind].ownModel)
        .map((name) => ({ unit: name, cell: name, models: modelsOf(name, sources) }));
    case 'bonProxy':
      return bonScorers(config, cells, sources).map((model) => ({ unit: model, cell: model, models: [model] }));
    case 'run':
      return ppoRunUnits(config, [...cells, ...Object.keys(sources)]).map(({ run, cell }) => ({ unit: run, cell, models: scorersOf(cell, sources) }));
    case 'dpoRun':
      return dpoRunUnits(config, cells).map(({ run, cell }) => ({ unit: run, cell }));
  }
}

/** Every task of a preset in registry order (upstream first), or why the preset cannot be planned. */
export function planPipeline(preset: string, config: unknown, registry: Registry = STAGES): { tasks: PlannedTask[] } | { problem: string } {
  // A seed variant (`quick@s2`) is planned from its preset's file with "name" and "seed" set (seed-variant.ts).
  const variant = parseSeedVariant(preset);
  if (!PRESET_NAME_PATTERN.test(preset) && !variant) {
    return {
      problem: `"${preset}" is not a preset name: lower-case letters and digits in words joined by single dashes ("${NAME_SEPARATOR}" separates preset and cell)`,
    };
  }
  const grid = readGrid(config);
  if ('problem' in grid) return grid;
  // Counted before anything is enumerated, so a preset far over the limits costs Nx nothing (the plugin skips it).
  const cells = cellCount(grid);
  if (cells > MAX_GRID_CELLS) return { problem: `"proxy.grid" has ${cells} cells; at most ${MAX_GRID_CELLS} are allowed` };
  const runCount = ppoRunCount(config);
  if (runCount > MAX_PPO_RUNS) return { problem: `the PPO sweep has ${runCount} runs; at most ${MAX_PPO_RUNS} are allowed` };
  const dpoCount = dpoRunCount(config);
  if (dpoCount > MAX_PPO_RUNS) return { problem: `the DPO sweep has ${dpoCount} runs; at most ${MAX_PPO_RUNS} are allowed` };
  // The stage CLIs refuse such a file, so its tasks could never run.
  const name = isObject(config) ? config.name : undefined;
  if (name !== preset) return { problem: `field "name" is ${JSON.stringify(name)?.slice(0, 80)}; it must equal the file name "${preset}"` };
  const cellNames = cellsOf(grid).map(cellName);
  const byEntry = new Map<string, Omit<PlannedTask, 'alone'>[]>();
  const tasks: Omit<PlannedTask, 'alone'>[] = [];
  for (const [id, entry] of Object.entries(registry)) {
    const upstreamTasks = entry.upstream.map((spec) => {
      const found = byEntry.get(spec.entry);
      if (!found) throw new Error(`registry entry "${id}" runs after "${spec.entry}", which is not an earlier entry`);
      return { spec, found };
    });
    // An entry gathering every task of another has nothing to do when that one has no tasks (no PPO runs).
    if (upstreamTasks.some(({ spec, found }) => spec.match === 'each' && found.length === 0)) {
      byEntry.set(id, []);
      continue;
    }
    const units = entry.when && !entry.when(config) ? [] : unitsOf(entry, config, cellNames);
    const planned = units.map(({ unit, cell, models }): Omit<PlannedTask, 'alone'> => {
      const names = taskNames(entry, preset, unit);
      const main = `packages/${entry.package}/${entry.main ?? DEFAULT_MAIN}`;
      const reads = (t: { unit?: string }): boolean => t.unit !== undefined && (models ?? []).includes(t.unit);
      const upstream = upstreamTasks.flatMap(({ spec, found }) => (spec.match === 'sameCell' ? found.filter(reads) : found).map((t) => t.id));
      const count = upstreamTasks.find(({ spec }) => spec.match === 'each')?.found.length ?? 1;
      return {
        ...names,
        id: `${names.project}:${names.target}`,
        entry: id,
        package: entry.package,
        unit,
        cell,
        ...(models ? { models } : {}),
        output: taskOutput(entry, preset, unit).join('/'),
        main,
        command: ['node --import tsx', main, '--preset', preset, ...entry.args(unit ?? '')].join(' '),
        // A variant's seed is in its name, so in its command, which Nx hashes with the project: not read from the file.
        fields: variant ? entry.fields.filter((field) => field !== 'seed') : entry.fields,
        externalDependencies: entry.externalDependencies,
        upstream,
        description: entry.describe(preset, unit ?? '', count),
      };
    });
    byEntry.set(id, planned);
    tasks.push(...planned);
  }
  const alone = aloneTaskIds(tasks);
  return { tasks: tasks.map((task) => ({ ...task, alone: alone.has(task.id) })) };
}

/** The tasks of a preset; throws when it cannot be planned. */
export function pipelineTasks(preset: string, config: unknown, registry: Registry = STAGES): PlannedTask[] {
  const plan = planPipeline(preset, config, registry);
  if ('problem' in plan) throw new Error(`pipeline "${preset}": ${plan.problem}`);
  return plan.tasks;
}

/** Every task that runs after `ids`, directly or not. */
export function downstreamOf(tasks: readonly PlannedTask[], ids: Iterable<string>): Set<string> {
  const result = new Set<string>(ids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const task of tasks) {
      if (!result.has(task.id) && task.upstream.some((u) => result.has(u))) {
        result.add(task.id);
        grew = true;
      }
    }
  }
  return result;
}
