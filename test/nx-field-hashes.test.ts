import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downstreamOf, pipelineSchema, pipelineTasks, readsField, STAGES, taskNames, workspaceRoot, type PlannedTask } from '@goodhart/core';
import { useModelGold } from './support/gold-model.ts';
import { copyRepository } from './support/workspace.ts';

/**
 * Must-show of the stage registry: for every leaf field of a preset, changing it reruns exactly the tasks whose
 * registry entry reads it, the tasks it adds, and their dependents. The rerun set is read from Nx's own task hashes
 * (computed as `nx run fit--test:run`, the task `fit:pipeline-test` stands for, computes them, without running anything; see support/nx-task-hashes.ts) and Nx's
 * task graph, and compared with the set the registry predicts. A task whose hash is unchanged is restored from the
 * cache; a changed one reruns, and so does everything after it (each task hashes its upstream manifests).
 */
const root = workspaceRoot();
/** The Nx id of a preset-wide stage task of `test` (`fit--test:run`). */
const taskId = (stage: 'fit' | 'bonCurves' | 'proxySummary'): string => {
  const { project, target } = taskNames(STAGES[stage], 'test');
  return `${project}:${target}`;
};
const TASK = taskId('fit');
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Config = Record<string, Json>;

/** Values for the optional fields with no default, which no preset of the suite sets. */
const OPTIONAL_SAMPLES: Record<string, Json> = {
  'bon.proxies': ['tiny-n20-s0'],
  'bon.curves.ns': [1, 2, 5],
  'ppo.policies': ['small'],
  // The Slurm executor's settings: no stage reads them, so changing one reruns nothing.
  'slurm.partition': 'debug',
  'slurm.timeLimit': '10',
  'slurm.memory': '1G',
};

/**
 * Optional objects whose fields only make sense together (extra seeds need both sizes and seeds): no preset of the
 * suite sets them, so each is added whole, as one edit, rather than one field at a time.
 */
const OPTIONAL_OBJECTS: Record<string, Json> = {
  'proxy.grid.extraSeeds': { sizes: ['small'], seeds: [1] },
};

interface SchemaNode {
  def: { type: string; shape?: Record<string, SchemaNode>; innerType?: SchemaNode; in?: SchemaNode; defaultValue?: unknown };
}

function unwrap(node: SchemaNode): { node: SchemaNode; defaultValue?: unknown } {
  let current = node;
  let defaultValue: unknown;
  for (;;) {
    const { def } = current;
    if (def.type === 'default' && def.innerType) {
      defaultValue ??= def.defaultValue;
      current = def.innerType;
    } else if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return { node: current, defaultValue };
  }
}

/** Every leaf field the schema allows (a record like `models` contributes its entries in `config`), with its value or default. */
function leafFields(schema: SchemaNode, config: Json | undefined, path: string[] = []): { path: string; value: Json | undefined; fallback?: Json }[] {
  const { node, defaultValue } = unwrap(schema);
  const object = config !== null && typeof config === 'object' && !Array.isArray(config) ? config : undefined;
  const name = path.join('.');
  if (node.def.type === 'object' && name in OPTIONAL_OBJECTS && object === undefined)
    return [{ path: name, value: undefined, fallback: OPTIONAL_OBJECTS[name] }];
  if (node.def.type === 'object' && node.def.shape) {
    return Object.entries(node.def.shape).flatMap(([key, child]) => leafFields(child, object?.[key], [...path, key]));
  }
  if (node.def.type === 'record') {
    return Object.keys(object ?? {}).flatMap((key) => leafFields((node.def as unknown as { valueType: SchemaNode }).valueType, object?.[key], [...path, key]));
  }
  return [{ path: name, value: config, fallback: (defaultValue as Json | undefined) ?? OPTIONAL_SAMPLES[name] }];
}

function changed(value: Json): Json {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}-x`;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return [...value, changed(value.at(-1) ?? 0)];
  throw new Error(`no rule to change ${JSON.stringify(value)}`);
}

function withField(config: Config, path: string, value: Json): Config {
  const copy = structuredClone(config);
  const keys = path.split('.');
  let node = copy as Record<string, Json>;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    node = node[key] as Record<string, Json>;
  }
  node[keys.at(-1)!] = value;
  return copy;
}

/** What the registry says reruns: readers of the field and new tasks, with everything downstream of them. */
function registryReruns(before: readonly PlannedTask[], after: readonly PlannedTask[], path: string): string[] {
  const old = new Set(before.map((t) => t.id));
  const direct = after.filter((t) => readsField(t.fields, path) || !old.has(t.id)).map((t) => t.id);
  return [...downstreamOf(after, direct)].sort();
}

interface Hashed {
  label: string;
  hashes: Record<string, string>;
  dependencies: Record<string, string[]>;
}

/** What Nx reruns: tasks whose hash changed or that are new, and every task that depends on one of them. */
function nxReruns(base: Hashed, version: Hashed): string[] {
  const rerun = new Set(Object.keys(version.hashes).filter((id) => base.hashes[id] !== version.hashes[id]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, deps] of Object.entries(version.dependencies)) {
      if (!rerun.has(id) && deps.some((d) => rerun.has(d))) {
        rerun.add(id);
        grew = true;
      }
    }
  }
  return [...rerun].sort();
}

describe('every leaf field of a preset reruns exactly what the registry says reads it', () => {
  let dir: string;
  let base: Config;
  let fields: { path: string; before: Json | undefined; after: Json }[];
  let results: Map<string, Hashed>;
  let graphsBuilt: number;

  beforeAll(async () => {
    dir = await copyRepository(['test']);
    // With the tiny model gold, so the gold RM's entry and every gold.model field are covered too.
    base = JSON.parse(await readFile(join(dir, 'pipelines', 'test.json'), 'utf8')) as Config;
    useModelGold(base as Record<string, Record<string, unknown>>);
    await writeFile(join(dir, 'pipelines', 'test.json'), `${JSON.stringify(base, null, 2)}\n`);
    fields = leafFields(pipelineSchema as unknown as SchemaNode, base)
      // The name must equal the file name: a new name is another preset, not an edit.
      .filter((f) => f.path !== 'name')
      .map((f) => {
        const after = f.value === undefined ? f.fallback : changed(f.value);
        if (after === undefined) throw new Error(`no value to give the absent field ${f.path}`);
        return { path: f.path, before: f.value, after };
      });
    const basePlan = JSON.stringify(pipelineTasks('test', base));
    // Nx reads a `{ json, fields }` input when it hashes, so an edit that leaves the plan (the project graph) as it
    // was is hashed against the same graph; an edit that changes the plan rebuilds the graph through the plugin.
    // Edits that keep the plan come first, hashed against the base graph; each one that changes it gets its own graph.
    const edits = fields.map((field) => {
      const config = withField(base, field.path, field.after);
      return { label: field.path, config, graph: JSON.stringify(pipelineTasks('test', config)) !== basePlan };
    });
    const versions = [{ label: 'base', config: base, graph: true }, ...edits.filter((e) => !e.graph), ...edits.filter((e) => e.graph)];
    const versionsFile = join(dir, 'versions.json');
    await writeFile(versionsFile, JSON.stringify(versions));
    const { stdout } = await execa(
      'node',
      ['--import', 'tsx', join(root, 'test', 'support', 'nx-task-hashes.ts'), TASK, join(dir, 'pipelines', 'test.json'), versionsFile],
      {
        cwd: dir,
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      },
    );
    const hashed = JSON.parse(stdout) as Hashed[];
    results = new Map(hashed.map((r) => [r.label, r]));
    graphsBuilt = versions.filter((v) => v.graph).length;
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('covers every leaf of the schema, each one with a task graph equal to the registry plan', () => {
    expect(fields.length).toBeGreaterThan(80);
    expect([...results.keys()].sort()).toEqual(['base', ...fields.map((f) => f.path)].sort());
    expect(Object.keys(results.get('base')!.hashes).sort()).toEqual(
      pipelineTasks('test', base)
        .map((t) => t.id)
        .sort(),
    );
    for (const field of fields) {
      const config = withField(base, field.path, field.after);
      expect(Object.keys(results.get(field.path)!.hashes).sort(), field.path).toEqual(
        pipelineTasks('test', config)
          .map((t) => t.id)
          .sort(),
      );
    }
    // The fan-out fields: the grid's axes, the best-of-n proxies, the PPO sweep and the policy sizes it defaults to.
    expect(graphsBuilt).toBeGreaterThan(5);
  });

  it('for each field, the tasks Nx reruns are the registry readers, the new tasks and their dependents', () => {
    const basePlan = pipelineTasks('test', base);
    const mismatches: string[] = [];
    const summary: string[] = [];
    const baseHashes = results.get('base')!;
    for (const field of fields) {
      const after = pipelineTasks('test', withField(base, field.path, field.after));
      const expected = registryReruns(basePlan, after, field.path);
      const actual = nxReruns(baseHashes, results.get(field.path)!);
      summary.push(`${field.path}: ${actual.length}`);
      if (JSON.stringify(expected) !== JSON.stringify(actual))
        mismatches.push(`${field.path}\n  registry: ${expected.join(' ')}\n  nx:       ${actual.join(' ')}`);
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    // Sanity: a field nobody reads reruns nothing; a fit option reruns fit alone; the seed reruns every seeded task.
    const reruns = (path: string): string[] => nxReruns(baseHashes, results.get(path)!);
    expect(reruns('description')).toEqual([]);
    expect(reruns('fit.extrapolationFraction')).toEqual([TASK]);
    expect(reruns('bon.scoring.batchSize')).toEqual(expect.arrayContaining([taskId('bonCurves'), TASK]));
    expect(reruns('bon.scoring.batchSize')).not.toContain(taskId('proxySummary'));
    expect(STAGES.ppoRun.fields).toContain('gold');
  });
});
