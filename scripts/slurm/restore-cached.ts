/**
 * `node --import tsx scripts/slurm/restore-cached.ts <request.json> <result.json>`, run in the workspace (cwd): on
 * the submitting machine, restores from the local Nx cache every task of a Slurm run whose job would only restore
 * it, and names the rest, which must compute and are submitted.
 *
 * Each task is hashed by Nx's own task hasher exactly as its job would hash it (the single-task graph of
 * `nx run <task> --excludeTaskDependencies`, the job's overrides with the upstream digest: job-command.ts), looked
 * up in Nx's cache and, on a hit, restored with Nx's cache (the copy `nx run` makes on a hit). Tasks go upstream
 * first: a task's upstream digest reads its upstream outputs, so it can be hashed only once those are in place; a
 * task any of whose upstream tasks must compute must compute too (its inputs are not known until then).
 *
 * Request: `{ tasks: [{ id, upstream, upstreamFiles }] }`, upstream before downstream. Result: `{ tasks: [{ id,
 * hash?, action: 'restored' | 'submit', reason }] }`. Nx internals are loaded here, in a process of their own, not in
 * the runner: Nx reads its workspace root from the working directory when it loads.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createTaskHasher } from 'nx/src/hasher/create-task-hasher.js';
import { createProjectGraphAsync } from 'nx/src/project-graph/project-graph.js';
import { createTaskGraph } from 'nx/src/tasks-runner/create-task-graph.js';
import { DbCache } from 'nx/src/tasks-runner/cache.js';
import { getTaskSpecificEnv } from 'nx/src/tasks-runner/task-env.js';
import { createOverrides } from 'nx/src/utils/command-line-utils.js';
import { readNxJson } from 'nx/src/config/nx-json.js';
import { jobOverrideArgs } from './job-command.ts';
import { upstreamDigest } from './upstream-digest.ts';

export interface RestoreRequest {
  tasks: { id: string; upstream: string[]; upstreamFiles: { glob: string; dir: string }[] }[];
}

export interface RestoreDecision {
  id: string;
  /** Nx's hash of the task as its job would compute it; absent when it cannot be known before upstream jobs run. */
  hash?: string;
  action: 'restored' | 'submit';
  reason: string;
}

async function main(): Promise<void> {
  const [requestFile, resultFile] = process.argv.slice(2);
  if (!requestFile || !resultFile) throw new Error('usage: restore-cached.ts <request.json> <result.json>');
  const request = JSON.parse(await readFile(requestFile, 'utf8')) as RestoreRequest;
  const root = process.cwd();
  const nxJson = readNxJson();
  const projectGraph = await createProjectGraphAsync({ exitOnError: false });
  const hasher = createTaskHasher(projectGraph, nxJson);
  // Nx 24's cache (the database-indexed one `nx run` uses), local only; no remote cache, as getCache passes without
  // Nx Cloud (its type does not admit the null it passes).
  const cache = new DbCache({ nxCloudRemoteCache: null as never, skipRemoteCache: true });
  await cache.init();

  const decisions = new Map<string, RestoreDecision>();
  for (const { id, upstream, upstreamFiles } of request.tasks) {
    const computing = upstream.filter((dep) => decisions.get(dep)?.action !== 'restored');
    if (computing.length > 0) {
      decisions.set(id, { id, action: 'submit', reason: `after ${computing.join(', ')}` });
      continue;
    }
    const digest = await upstreamDigest(root, upstreamFiles);
    const [project, target] = id.split(':');
    const taskGraph = createTaskGraph(projectGraph, {}, [project], [target], undefined, createOverrides(jobOverrideArgs(digest)), true);
    const task = taskGraph.tasks[id];
    if (!task) throw new Error(`Nx has no task ${id} (the task graph holds ${Object.keys(taskGraph.tasks).join(', ') || 'nothing'})`);
    const [hashed] = await hasher.hashTasks([task], taskGraph, { [id]: getTaskSpecificEnv(task, projectGraph) });
    task.hash = hashed.value;
    if (task.cache === false) {
      decisions.set(id, { id, hash: task.hash, action: 'submit', reason: 'not cacheable' });
      continue;
    }
    const cached = await cache.get(task);
    if (cached?.code !== 0) {
      decisions.set(id, { id, hash: task.hash, action: 'submit', reason: 'not in the Nx cache' });
      continue;
    }
    await cache.copyFilesFromCache(task.hash, cached, task.outputs);
    decisions.set(id, { id, hash: task.hash, action: 'restored', reason: 'in the Nx cache' });
  }
  await writeFile(resultFile, `${JSON.stringify({ tasks: [...decisions.values()] }, null, 2)}\n`);
}

await main();
