import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * The tasks `nx run fit:pipeline-<preset>` would run, read from Nx itself (`nx run … --graph=<file>.json`) rather than from
 * the plugin's code, so the Slurm executor follows whatever targets the plugin declares.
 */
export interface PipelineTask {
  /** Nx task id, `<project>:<target>`. */
  id: string;
  project: string;
  target: string;
  /** What the task writes, relative to the workspace root (the target's `outputs`). */
  outputs: string[];
  /** The stage the task belongs to: the project name before "--" (`proxy--test--tiny-n20-s0` → proxy). */
  kind: string;
  /** Ids of the tasks it waits for (no-op aliases already resolved to what they stand for). */
  upstream: string[];
  /**
   * The upstream outputs Nx folds into this task's hash (`dependentTasksOutputFiles` inputs), as glob + directory.
   * A job runs its one task with Nx's task dependencies excluded, which drops these from Nx's hash; the job hashes
   * them itself and passes the digest to Nx (see upstream-digest.ts).
   */
  upstreamFiles: { glob: string; dir: string }[];
}

export interface PipelineTaskGraph {
  /** Every task to run, upstream before downstream. */
  tasks: PipelineTask[];
  byId: Map<string, PipelineTask>;
}

interface GraphJson {
  graph: { nodes: Record<string, { data: { targets?: Record<string, { executor?: string }> } }> };
  tasks: {
    tasks: Record<string, { id: string; target: { project: string; target: string }; outputs?: string[] }>;
    dependencies: Record<string, { id: string }[] | string[]>;
  };
  taskPlans?: Record<string, string[]>;
}

const NOOP_EXECUTOR = 'nx:noop';

function dependencyIds(list: { id: string }[] | string[] | undefined): string[] {
  return (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.id));
}

/** Parses the JSON `nx run <task> --graph=<file>` writes (Nx 20–24 shape), resolving no-op aliases. */
export function parseTaskGraph(json: unknown): PipelineTaskGraph {
  const graph = json as Partial<GraphJson>;
  const rawTasks = graph.tasks?.tasks;
  const rawDependencies = graph.tasks?.dependencies;
  if (!rawTasks || !rawDependencies) throw new Error('the Nx graph file has no "tasks.tasks"/"tasks.dependencies" (not an `nx run --graph` task graph)');
  const executorOf = (project: string, target: string): string | undefined => graph.graph?.nodes?.[project]?.data.targets?.[target]?.executor;
  const isNoop = (id: string): boolean => {
    const task = rawTasks[id];
    return task !== undefined && executorOf(task.target.project, task.target.target) === NOOP_EXECUTOR;
  };
  // A no-op alias runs nothing: whoever waits for it waits for what it depends on.
  const resolve = (id: string, seen: Set<string> = new Set()): string[] => {
    if (!isNoop(id)) return [id];
    if (seen.has(id)) return [];
    seen.add(id);
    return dependencyIds(rawDependencies[id]).flatMap((dep) => resolve(dep, seen));
  };
  const allOutputs = new Set(Object.values(rawTasks).flatMap((task) => task.outputs ?? []));

  const unordered = new Map<string, PipelineTask>();
  for (const [id, raw] of Object.entries(rawTasks)) {
    if (isNoop(id)) continue;
    const upstream = [...new Set(dependencyIds(rawDependencies[id]).flatMap((dep) => resolve(dep)))].sort();
    const upstreamFiles: { glob: string; dir: string }[] = [];
    for (const entry of graph.taskPlans?.[id] ?? []) {
      // Nx writes dependent-output inputs as "<glob>:<output dir>"; other plan entries name projects, env, files.
      const separator = entry.indexOf(':');
      const dir = entry.slice(separator + 1);
      if (separator > 0 && allOutputs.has(dir)) upstreamFiles.push({ glob: entry.slice(0, separator), dir });
    }
    const project = raw.target.project;
    unordered.set(id, { id, project, target: raw.target.target, outputs: raw.outputs ?? [], kind: project.split('--')[0], upstream, upstreamFiles });
  }
  return { tasks: topologicalOrder(unordered), byId: unordered };
}

function topologicalOrder(tasks: Map<string, PipelineTask>): PipelineTask[] {
  const ordered: PipelineTask[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    const task = tasks.get(id);
    if (!task || state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`the Nx task graph has a cycle through ${id}`);
    state.set(id, 'visiting');
    for (const dep of task.upstream) visit(dep);
    state.set(id, 'done');
    ordered.push(task);
  };
  for (const id of [...tasks.keys()].sort()) visit(id);
  return ordered;
}

/** Asks Nx for the task graph of `target` (e.g. `fit:pipeline-quick`) in the workspace at `root`. */
export async function readTaskGraph(root: string, target: string, env: Record<string, string>): Promise<PipelineTaskGraph> {
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-graph-'));
  try {
    const file = join(dir, 'graph.json');
    await execa('node', [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'run', target, `--graph=${file}`], {
      cwd: root,
      env: { ...process.env, ...env },
      all: true,
    }).catch((error: unknown) => {
      const output = (error as { all?: string }).all ?? '';
      throw new Error(`Nx could not build the task graph of ${target}:\n${output.trim()}`);
    });
    return parseTaskGraph(JSON.parse(await readFile(file, 'utf8')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
