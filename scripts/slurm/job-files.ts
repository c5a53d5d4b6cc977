import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where a Slurm run keeps its per-job files, under the preset's artifacts (a directory no task declares as output,
 * so no cache restore ever touches it):
 *
 *   artifacts/<preset>/slurm/logs/<task>-<jobid>.log      the job's stdout and stderr (every attempt, appended)
 *   artifacts/<preset>/slurm/results/<task>.json          what the job reports back: cached or computed
 */
export function slurmDir(root: string, preset: string): string {
  return join(root, 'artifacts', preset, 'slurm');
}

/** A task id as a file name: `proxy--test--tiny-n20-s0:train` → `proxy--test--tiny-n20-s0.train`. */
export function taskFileName(taskId: string): string {
  return taskId.replace(/[^A-Za-z0-9._-]/g, '.');
}

export function logsDir(root: string, preset: string): string {
  return join(slurmDir(root, preset), 'logs');
}

/** The log path given to sbatch; Slurm replaces %j with the job id. */
export function logPattern(root: string, preset: string, taskId: string): string {
  return join(logsDir(root, preset), `${taskFileName(taskId)}-%j.log`);
}

export function logPath(root: string, preset: string, taskId: string, jobId: string): string {
  return logPattern(root, preset, taskId).replace('%j', jobId);
}

export function resultsDir(root: string, preset: string): string {
  return join(slurmDir(root, preset), 'results');
}

export function resultPath(root: string, preset: string, taskId: string): string {
  return join(resultsDir(root, preset), `${taskFileName(taskId)}.json`);
}

export interface TaskResult {
  task: string;
  jobId: string;
  /** Nx restored the task's outputs from its cache instead of running it. */
  cached: boolean;
  exitCode: number;
}

/** Written whole then renamed, so the runner never reads half a file. */
export async function writeTaskResult(path: string, result: TaskResult): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(result)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The result the job `jobId` wrote, or undefined (none yet, or one from another job). */
export async function readTaskResult(path: string, jobId: string): Promise<TaskResult | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const result = JSON.parse(await readFile(path, 'utf8')) as TaskResult;
    return result.jobId === jobId ? result : undefined;
  } catch {
    return undefined;
  }
}
