/**
 * The Nx command line a Slurm job runs for its one task, in one place: the job (run-task.ts) runs it, and the
 * submitting machine (restore-cached.ts) hashes the task exactly as that command would, to restore it there instead
 * of submitting a job that would only restore it.
 */

/** Nx's own flags: one task, its dependencies excluded (Slurm ran them), output streamed to the job's log. */
export const JOB_NX_FLAGS = ['--excludeTaskDependencies', '--outputStyle=stream'] as const;

/**
 * The task overrides (what Nx passes on as `__overrides_unparsed__` and folds into the task hash): the upstream
 * digest (see upstream-digest.ts), kept out of the stage's command line by `--forwardAllArgs=false`.
 */
export function jobOverrideArgs(upstreamDigest: string): string[] {
  return ['--forwardAllArgs=false', `--goodhartUpstream=${upstreamDigest}`];
}

/** `nx run <task> …` as the job runs it (arguments after the Nx binary). */
export function jobNxArgs(task: string, upstreamDigest: string): string[] {
  return ['run', task, ...JOB_NX_FLAGS, ...jobOverrideArgs(upstreamDigest)];
}
