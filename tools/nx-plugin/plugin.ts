/**
 * Local Nx plugin: the cached stage tasks of every pipeline preset (`pipelines/<P>.json`), as planned by the stage
 * registry in packages/core/src/pipeline (task names, commands, outputs, upstream tasks and hashed config fields all
 * come from there; this file only turns the plan into Nx project configuration).
 *
 * Why every task has a project of its own. Nx 24 folds a hash of the *whole* project configuration (root, tags and
 * every target's name, executor, options and outputs) into every task of the project (measured: adding any target to
 * a project misses the cache of all its other targets). So each task lives in a generated project (`fit--P` for a
 * preset-wide task, `proxy--P--CELL` for a cell, run or the pool; root = the task's output dir, no files) whose
 * configuration depends on that task alone, aliased as an `nx:noop` target of the package's project
 * (`fit:pipeline-P`, `proxy:P--CELL`): a new preset, another preset's new cell or edited field, changes only the
 * package project, which no stage task hashes.
 *
 * Each task hashes only the pipeline fields its registry entry reads (a `{ json, fields }` input), the source files
 * its entry point reaches (its import closure in the workspace, import-closure.ts; plus package.json and the native
 * C++ of each package it reaches, from the nx.json `source` named input), the engine choice and the manifests of its
 * upstream tasks. A task nothing can run beside (`alone` in the plan) carries GOODHART_LONE_TASK=1 in its `env`
 * option, so its native engine takes every thread the pipeline was given.
 *
 * Loaded through index.cjs (Nx loads local plugins with require(); tsx compiles this file and the registry).
 * A pipeline file that is not JSON, sets a field twice, has a name that is not a preset name (or a "name" field other
 * than its file name), or whose proxy grid cannot be turned into task names, is skipped with a warning so one bad file does not break the project graph; the stage CLI reports the full schema errors when run.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CreateNodesResult, CreateNodesV2, NxJsonConfiguration, TargetConfiguration } from 'nx/src/devkit-exports';
// Relative paths, not `@goodhart/core/pipeline`: the plugin must plan from this workspace's own registry, and the
// package name resolves through node_modules, which a copy of the workspace (the tests' copies) shares with another.
import { firstDuplicateKey } from '../../packages/core/src/json-keys.ts';
import { LONE_TASK_ENV } from '../../packages/core/src/pipeline/alone.ts';
import { planPipeline, type PlannedTask } from '../../packages/core/src/pipeline/plan.ts';
import { presetAtSeed, requestedSeeds, SEEDS_ENV } from '../../packages/core/src/pipeline/seed-variant.ts';
import { ImportClosure } from './import-closure.ts';
import { realOutput } from './real-output.ts';

type ProjectsResult = NonNullable<CreateNodesResult['projects']>;
type TargetInput = NonNullable<TargetConfiguration['inputs']>[number];

const PLUGIN_NAME = 'goodhart-pipelines';
const PIPELINES_GLOB = 'pipelines/*.json';
const UNIT_TAG = 'goodhart:stage-unit';
const PACKAGES_DIR = 'packages';
/** Used when nx.json has no `source` named input. */
const DEFAULT_SOURCE: TargetInput[] = ['{projectRoot}/src/**/*.ts', '{projectRoot}/package.json'];

/**
 * Prints a warning on the terminal of the Nx command. Nx runs plugins in a worker process whose stderr is piped
 * without being flushed before the command exits, so the line goes over the worker's socket to the host process
 * (Nx's own channel for plugin logs); plain stderr is the fallback.
 */
function warn(message: string): void {
  const line = `[${PLUGIN_NAME}] ${message}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal hook that may be absent
    const { emitPluginWorkerLog } = require('nx/src/devkit-internals') as { emitPluginWorkerLog?: (level: string, text: string) => void };
    if (typeof emitPluginWorkerLog === 'function') {
      emitPluginWorkerLog('warn', line);
      return;
    }
  } catch {
    // not loaded by Nx, or an Nx without this hook
  }
  process.stderr.write(`${line}\n`);
}

/** Whether a `source` pattern is the TypeScript source, which the import closure replaces (`{projectRoot}/src/**\/*.ts`). */
function isTypeScriptGlob(pattern: string): boolean {
  return pattern.startsWith('{projectRoot}/') && pattern.endsWith('.ts');
}

/**
 * The nx.json `source` named input, expanded, as it applies to a package `dir` a task reaches, without its TypeScript
 * glob (the task hashes the files of its import closure instead) or dependency (`^`) inputs (the closure crosses
 * packages itself): what is left is the package's other source (package.json, native C++ and its build file) and any
 * non-file input, with `{projectRoot}` resolved to `{workspaceRoot}/<dir>`.
 */
function packageSourceInputs(nxJson: NxJsonConfiguration, dir: string): TargetInput[] {
  const named = nxJson.namedInputs ?? {};
  const result: TargetInput[] = [];
  const expand = (inputs: readonly TargetInput[], seen: Set<string>): void => {
    for (const input of inputs) {
      if (typeof input !== 'string') {
        const fileset = 'fileset' in input && typeof input.fileset === 'string' ? input.fileset : undefined;
        if (fileset && isTypeScriptGlob(fileset)) continue;
        result.push(fileset ? { ...input, fileset: fileset.replaceAll('{projectRoot}', `{workspaceRoot}/${dir}`) } : input);
      } else if (input.startsWith('^') || isTypeScriptGlob(input)) {
        // covered by the import closure
      } else if (input.includes('{projectRoot}')) {
        result.push(input.replaceAll('{projectRoot}', `{workspaceRoot}/${dir}`));
      } else if (Object.hasOwn(named, input) && !seen.has(input)) {
        expand(named[input] ?? [], new Set([...seen, input]));
      } else {
        result.push(input);
      }
    }
  };
  expand(named.source ?? DEFAULT_SOURCE, new Set(['source']));
  return result;
}

/** A task's source inputs: every file its entry point reaches, and the other source of each package among them. */
function taskSourceInputs(main: string, closure: ImportClosure, nxJson: NxJsonConfiguration): TargetInput[] {
  const files = closure.of(main);
  const dirs = [...new Set(files.map((file) => closure.packageDirOf(file)).filter((dir) => dir !== undefined))].sort();
  const seen = new Set<string>();
  const inputs: TargetInput[] = files.map((file) => `{workspaceRoot}/${file}`);
  for (const input of dirs.flatMap((dir) => packageSourceInputs(nxJson, dir))) {
    const key = JSON.stringify(input);
    if (!seen.has(key)) inputs.push(input);
    seen.add(key);
  }
  return inputs;
}

/** A cached nx:run-commands target for a planned task. */
function stageTarget(
  task: PlannedTask,
  preset: string,
  sourceInputs: TargetInput[],
  byId: Map<string, PlannedTask>,
  file: string,
  workspaceRoot: string,
): TargetConfiguration {
  const inputs: TargetInput[] = [
    ...sourceInputs,
    { json: `{workspaceRoot}/pipelines/${preset}.json`, fields: [...task.fields] },
    { env: 'GOODHART_ENGINE' },
    { env: 'GOODHART_BACKEND' },
    { env: 'GOODHART_PRECISION' },
    { externalDependencies: [...task.externalDependencies] },
  ];
  if (task.upstream.length > 0) inputs.push({ dependentTasksOutputFiles: '**/manifest.json', transitive: true });
  const alias = `; run it as ${task.alias.project}:${task.alias.target}`;
  const output = realOutput(workspaceRoot, task.output);
  const target: TargetConfiguration = {
    executor: 'nx:run-commands',
    // run-commands lays `env` over the inherited environment, so the marker joins GOODHART_THREADS and
    // GOODHART_LONE_THREADS from `npm run pipeline`; the native engine then takes the lone-task threads.
    options: { command: task.command, cwd: '{workspaceRoot}', ...(task.alone ? { env: { [LONE_TASK_ENV]: '1' } } : {}) },
    // Below a link out of the workspace Nx can neither cache nor restore (a restore would replace the link).
    cache: output.inside,
    inputs,
    outputs: [`{workspaceRoot}/${output.inside ? output.output : task.output}`],
    metadata: { description: `${task.description} (${file}${alias})` },
  };
  if (task.upstream.length > 0) {
    target.dependsOn = task.upstream.map((id) => {
      const upstream = byId.get(id);
      if (!upstream) throw new Error(`planned task ${task.id} runs after ${id}, which is not planned`);
      return { projects: [upstream.project], target: upstream.target };
    });
  }
  return target;
}

/** Projects and targets contributed by one pipeline file, keyed by project root; null when the file is skipped. */
function pipelineNodes(
  file: string,
  context: { workspaceRoot: string; nxJsonConfiguration: NxJsonConfiguration },
  closure: ImportClosure,
): CreateNodesResult | null {
  const { workspaceRoot } = context;
  const preset = basename(file, '.json');
  let config: unknown;
  let text: string;
  try {
    text = readFileSync(join(workspaceRoot, file), 'utf8');
    config = JSON.parse(text);
  } catch (error) {
    warn(`skipping ${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    warn(`skipping ${file}: field "${duplicate.slice(0, 200)}" is given twice`);
    return null;
  }
  const projects: ProjectsResult = {};
  // The preset, then the seed variants `npm run pipeline --seeds` asked for (pipeline/seed-variant.ts): each is
  // planned as a preset of its own, so its tasks are projects of their own and another seed's leave its hashes alone.
  const ownSeed = typeof config === 'object' && config !== null ? (config as { seed?: unknown }).seed : undefined;
  if (!presetNodes(preset, preset, config, file, context, closure, projects)) return null;
  for (const seed of requestedSeeds(process.env[SEEDS_ENV], preset)) {
    const name = presetAtSeed(preset, ownSeed, seed);
    if (name !== preset && !presetNodes(name, preset, { ...(config as object), name, seed }, file, context, closure, projects)) return null;
  }
  return { projects };
}

/**
 * Adds the projects of one preset or seed variant `name` (planned from `config`, read from pipelines/<file
 * preset>.json) to `projects`; false when the file is skipped.
 */
function presetNodes(
  name: string,
  preset: string,
  config: unknown,
  file: string,
  context: { workspaceRoot: string; nxJsonConfiguration: NxJsonConfiguration },
  closure: ImportClosure,
  projects: ProjectsResult,
): boolean {
  const { workspaceRoot, nxJsonConfiguration } = context;
  const plan = planPipeline(name, config);
  if ('problem' in plan) {
    warn(`skipping ${file}${name === preset ? '' : ` (seed variant ${name})`}: ${plan.problem}`);
    return false;
  }
  const artifacts = realOutput(workspaceRoot, `artifacts/${name}`);
  if (!artifacts.inside) {
    warn(
      `artifacts/${name} is a link to ${artifacts.real}, outside the workspace: Nx caches only inside it, so the tasks of "${name}" are not cached (link to a directory inside the workspace to keep the cache)`,
    );
  }
  const byId = new Map(plan.tasks.map((task) => [task.id, task]));
  const packageTargets = (pkg: string): Record<string, TargetConfiguration> => {
    const root = `${PACKAGES_DIR}/${pkg}`;
    projects[root] ??= { targets: {} };
    const project = projects[root];
    project.targets ??= {};
    return project.targets;
  };
  for (const task of plan.tasks) {
    let source: TargetInput[];
    try {
      source = taskSourceInputs(task.main, closure, nxJsonConfiguration);
    } catch (error) {
      warn(`skipping ${file}: task ${task.id}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    projects[task.output] = {
      name: task.project,
      tags: [UNIT_TAG],
      targets: { [task.target]: stageTarget(task, preset, source, byId, file, workspaceRoot) },
    };
    packageTargets(task.alias.project)[task.alias.target] = {
      executor: 'nx:noop',
      dependsOn: [{ projects: [task.project], target: task.target }],
      metadata: { description: `Runs ${task.id}, a project of its own so that other presets and units leave this task's cache valid.` },
    };
  }
  return true;
}

export const createNodes: CreateNodesV2 = [
  PIPELINES_GLOB,
  (files, _options, context) => {
    const results: [string, CreateNodesResult][] = [];
    // One per graph build: the presets share the parsed modules and closures.
    const closure = new ImportClosure(context.workspaceRoot, PACKAGES_DIR);
    for (const file of files) {
      const nodes = pipelineNodes(file, context, closure);
      if (nodes) results.push([file, nodes]);
    }
    return results;
  },
];

export const name = PLUGIN_NAME;
// Nx 24 reads `createNodes` and falls back to the older name `createNodesV2`; export both.
export const createNodesV2 = createNodes;
