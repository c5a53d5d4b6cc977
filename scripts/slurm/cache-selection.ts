import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RestoreDecision, RestoreRequest } from './restore-cached.ts';
import type { PipelineTask, PipelineTaskGraph } from './task-graph.ts';

/**
 * What a Slurm run submits: only the tasks that must compute. The others are restored from the Nx cache on the
 * submitting machine first (restore-cached.ts, in a process of its own), so no job pays a Node and Nx start to find
 * it had nothing to do, and a rerun with nothing changed submits nothing.
 */
export interface CacheSelection {
  /** Tasks restored here, upstream first, with Nx's hash of each. */
  restored: { id: string; hash: string }[];
  /** What remains to submit, with the same dependency edges except those to restored tasks (their outputs exist). */
  toSubmit: PipelineTaskGraph;
  decisions: RestoreDecision[];
}

const RESTORE_SCRIPT = fileURLToPath(new URL('./restore-cached.ts', import.meta.url));

/** The graph without `restored`: each remaining task keeps its edges to tasks that remain. */
export function withoutRestored(graph: PipelineTaskGraph, restored: ReadonlySet<string>): PipelineTaskGraph {
  const tasks: PipelineTask[] = graph.tasks
    .filter((task) => !restored.has(task.id))
    .map((task) => ({ ...task, upstream: task.upstream.filter((id) => !restored.has(id)) }));
  return { tasks, byId: new Map(tasks.map((task) => [task.id, task])) };
}

/** Restores from the local Nx cache what it holds of `graph` (in the workspace at `root`); returns the rest. */
export async function restoreCachedTasks(root: string, graph: PipelineTaskGraph, env: Record<string, string>): Promise<CacheSelection> {
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-restore-'));
  try {
    const request: RestoreRequest = { tasks: graph.tasks.map(({ id, upstream, upstreamFiles }) => ({ id, upstream, upstreamFiles })) };
    const requestFile = join(dir, 'request.json');
    const resultFile = join(dir, 'result.json');
    await writeFile(requestFile, JSON.stringify(request));
    await execa('node', ['--import', 'tsx', RESTORE_SCRIPT, requestFile, resultFile], {
      cwd: root,
      env: { ...process.env, ...env },
      all: true,
    }).catch((error: unknown) => {
      const output = (error as { all?: string }).all ?? (error as Error).message;
      throw new Error(`could not check the Nx cache for the tasks to submit:\n${output.trim()}`);
    });
    const decisions = (JSON.parse(await readFile(resultFile, 'utf8')) as { tasks: RestoreDecision[] }).tasks;
    const restored = decisions.filter((d) => d.action === 'restored').map((d) => ({ id: d.id, hash: d.hash as string }));
    return { restored, toSubmit: withoutRestored(graph, new Set(restored.map((r) => r.id))), decisions };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
