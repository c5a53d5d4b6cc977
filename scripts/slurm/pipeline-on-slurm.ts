import { STAGES, taskCommandName, taskNames, type PipelineConfig } from '@goodhart/core';
import { restoreCachedTasks } from './cache-selection.ts';
import { resolveSlurmSettings, type SlurmFlags } from './job-settings.ts';
import { runOnSlurm } from './runner.ts';
import { readTaskGraph } from './task-graph.ts';

/**
 * `npm run pipeline -- --executor slurm`: the tasks of `nx run fit:pipeline-<preset>` as Slurm jobs. Returns false (and
 * sets process.exitCode) when a task failed or the run was interrupted; the message names the first failed task.
 */
export async function runPipelineOnSlurm(options: {
  root: string;
  config: PipelineConfig;
  env: Record<string, string>;
  flags: SlurmFlags;
  retries: string;
}): Promise<boolean> {
  const { root, config, env } = options;
  const settings = resolveSlurmSettings(config.slurm, options.flags); // bad settings stop here, before any sbatch
  const retries = Number(options.retries);
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`--retries: got ${JSON.stringify(options.retries)}; must be a non-negative integer`);
  const graph = await readTaskGraph(root, taskCommandName(taskNames(STAGES.fit, config.name)), env);
  process.stdout.write(
    `pipeline "${config.name}": ${graph.tasks.length} Nx tasks; what the local Nx cache holds is restored here, the rest submitted as Slurm jobs\n`,
  );
  const selection = await restoreCachedTasks(root, graph, env);
  for (const { id, hash } of selection.restored) process.stdout.write(`[slurm] restored here ${id} (Nx hash ${hash})\n`);
  process.stdout.write(
    `[slurm] ${selection.restored.length} of ${graph.tasks.length} tasks restored from the Nx cache here; ${selection.toSubmit.tasks.length} must compute\n`,
  );
  const restored = selection.restored.map(({ id, hash }) => ({ id, hash, kind: graph.byId.get(id)?.kind ?? '' }));
  const report = await runOnSlurm({ root, preset: config.name, graph: selection.toSubmit, settings, env, retries, restored });
  const count = (phase: string): number => report.outcomes.filter((o) => o.phase === phase).length;
  process.stdout.write(
    `[slurm] ${report.submissions} job${report.submissions === 1 ? '' : 's'} submitted: ${count('done')} computed, ${count('cached')} restored from the cache in a job, ${count('failed')} failed, ${count('stopped')} stopped, ${count('cancelled')} cancelled; ${count('restored')} tasks restored here without a job\n`,
  );
  if (report.interrupted) {
    process.stderr.write('pipeline interrupted: the jobs it had submitted were cancelled\n');
    process.exitCode = 130;
    return false;
  }
  if (report.firstFailure) {
    const { task, jobId, reason, log } = report.firstFailure;
    process.stderr.write(`pipeline failed: task ${task} (job ${jobId}) ${reason}; its dependents were not run\nlog: ${log}\n`);
    process.exitCode = 1;
    return false;
  }
  return true;
}
