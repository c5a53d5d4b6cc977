import { execa } from 'execa';
import { parseSbatchId, parseScontrolJob, parseSqueueJson, parseSqueueText, type JobStatus } from './job-status.ts';

/**
 * Slurm through its command-line tools (sbatch, squeue, scontrol, scancel), as on any login node: no REST, no
 * credentials beyond the user's own. The environment (SLURM_CONF for the test cluster) is inherited.
 */

/** Submits a batch script; returns the job id. sbatch exports its own environment to the job (Slurm's default). */
export async function sbatch(args: readonly string[], script: string, cwd: string, env: Record<string, string>): Promise<string> {
  const result = await execa('sbatch', ['--parsable', ...args], { input: script, cwd, env: { ...process.env, ...env }, reject: false });
  if (result.exitCode !== 0) throw new Error(`sbatch failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
  return parseSbatchId(result.stdout);
}

let squeueHasJson: boolean | undefined;

/**
 * States of the given jobs: one squeue call (JSON where it exists, text otherwise), then scontrol for the jobs
 * squeue no longer lists or whose exit code the text form lacks. Jobs Slurm has forgotten are left out.
 */
export async function jobStatuses(ids: readonly string[]): Promise<Map<string, JobStatus>> {
  if (ids.length === 0) return new Map();
  let statuses = new Map<string, JobStatus>();
  const list = ids.join(',');
  if (squeueHasJson !== false) {
    const result = await execa('squeue', ['--json', '-t', 'all', '-j', list], { reject: false });
    if (result.exitCode === 0 && result.stdout.trimStart().startsWith('{')) {
      squeueHasJson = true;
      statuses = parseSqueueJson(result.stdout);
    } else if (squeueHasJson === undefined && /json|serializer|unrecognized|invalid option/i.test(result.stderr)) {
      squeueHasJson = false;
    }
  }
  if (squeueHasJson === false) {
    const result = await execa('squeue', ['-h', '-t', 'all', '-j', list, '-o', '%i|%T|%r'], { reject: false });
    if (result.exitCode === 0) statuses = parseSqueueText(result.stdout);
  }
  for (const id of ids) {
    const known = statuses.get(id);
    if (known && known.exitCode !== null) continue;
    const result = await execa('scontrol', ['show', 'job', '-o', id], { reject: false });
    const parsed = result.exitCode === 0 ? parseScontrolJob(result.stdout) : undefined;
    if (parsed) statuses.set(id, parsed);
  }
  return statuses;
}

/** Cancels exactly these jobs (and nothing else). */
export async function scancel(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await execa('scancel', [...ids], { reject: false });
}
