/**
 * Prints Nx's own hash of every task `nx run <task>` would run, once per version of one pipeline file, computed the
 * way `nx run` computes them (project graph from the plugin, task graph, the native task hasher) and without running
 * anything. Run in a workspace (cwd) as `node --import tsx nx-task-hashes.ts <task> <pipeline file> <versions.json>`:
 * versions.json is `[{ "label": ..., "config": <the whole pipeline JSON>, "graph": boolean }]`; the output is one JSON
 * array of `{ label, hashes: { [task id]: hash }, dependencies: { [task id]: task ids } }`. The pipeline file is
 * restored. With `graph: false` a version is hashed against the previous version's project and task graph (Nx reads a
 * `{ json, fields }` input's file when it hashes), which is what an edit that leaves the plugin's output unchanged
 * gives, at a fraction of the cost of rebuilding the project graph. A version may also write other files (`files`,
 * paths relative to the workspace; null deletes): they are in place while it is hashed and undone after it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createProjectGraphAsync } from 'nx/src/project-graph/project-graph.js';
import { createTaskGraph } from 'nx/src/tasks-runner/create-task-graph.js';
import { createTaskHasher } from 'nx/src/hasher/create-task-hasher.js';
import { getTaskSpecificEnv } from 'nx/src/tasks-runner/task-env.js';
import { readNxJson } from 'nx/src/config/nx-json.js';
import type { ProjectGraph } from 'nx/src/config/project-graph.js';
import type { TaskGraph } from 'nx/src/config/task-graph.js';

interface Version {
  label: string;
  config: unknown;
  graph: boolean;
  files?: Record<string, string | null>;
}

/** Writes (or, for null, deletes) each file; returns what undoes it. */
async function applyFiles(files: Record<string, string | null>): Promise<() => Promise<void>> {
  const originals: [string, string | null][] = [];
  for (const [path, text] of Object.entries(files)) {
    originals.push([path, await readFile(path, 'utf8').catch(() => null)]);
    if (text === null) await rm(path, { force: true });
    else await writeFile(path, text);
  }
  return async () => {
    for (const [path, text] of originals.reverse()) {
      if (text === null) await rm(path, { force: true });
      else await writeFile(path, text);
    }
  };
}

type Graphs = { projectGraph: ProjectGraph; taskGraph: TaskGraph };

async function graphsOf(task: string): Promise<Graphs> {
  const [project, target] = task.split(':');
  const projectGraph = await createProjectGraphAsync({ exitOnError: false });
  return { projectGraph, taskGraph: createTaskGraph(projectGraph, {}, [project], [target], undefined, {}) };
}

async function hashesOf({ projectGraph, taskGraph }: Graphs): Promise<{ hashes: Record<string, string>; dependencies: Record<string, string[]> }> {
  const tasks = Object.values(taskGraph.tasks);
  const hasher = createTaskHasher(projectGraph, readNxJson());
  const envs = Object.fromEntries(tasks.map((t) => [t.id, getTaskSpecificEnv(t, projectGraph)]));
  const hashed = await hasher.hashTasks(tasks, taskGraph, envs);
  const dependencies = Object.fromEntries(
    Object.entries(taskGraph.dependencies).map(([id, edges]) => [id, edges.map((edge) => (typeof edge === 'string' ? edge : edge.id))]),
  );
  return { hashes: Object.fromEntries(tasks.map((t, i) => [t.id, hashed[i].value])), dependencies };
}

async function main(): Promise<void> {
  const [task, pipelineFile, versionsFile] = process.argv.slice(2);
  if (!task || !pipelineFile || !versionsFile) throw new Error('usage: nx-task-hashes.ts <project:target> <pipeline file> <versions.json>');
  const original = await readFile(pipelineFile, 'utf8');
  const versions = JSON.parse(await readFile(versionsFile, 'utf8')) as Version[];
  const results = [];
  let graphs: Graphs | undefined;
  try {
    for (const version of versions) {
      await writeFile(pipelineFile, `${JSON.stringify(version.config, null, 2)}\n`);
      const undo = await applyFiles(version.files ?? {});
      try {
        if (version.graph || !graphs) graphs = await graphsOf(task);
        results.push({ label: version.label, ...(await hashesOf(graphs)) });
      } finally {
        await undo();
      }
    }
  } finally {
    await writeFile(pipelineFile, original);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
