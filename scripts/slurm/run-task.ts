import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
// Core's pipeline entry rather than its main one, which loads the Parquet and Arrow libraries a job's wrapper never uses.
import { LONE_THREADS_ENV } from '@goodhart/core/pipeline';
import { jobNxArgs } from './job-command.ts';
import { writeTaskResult } from './job-files.ts';
import { upstreamDigest } from './upstream-digest.ts';

/**
 * What a Slurm job runs: one Nx task, on the node, in the shared checkout.
 *
 *   node --import tsx scripts/slurm/run-task.ts --spec artifacts/<preset>/slurm/jobs/<task>.json
 *
 * Nx decides whether the task computes or restores from the (shared) cache. The task's own dependencies are not run
 * (Slurm already ran them: this job starts only after they succeeded); their outputs enter the hash through the
 * upstream digest, see upstream-digest.ts. Writes the result file the runner reads, then exits with Nx's code.
 */
export interface JobSpec {
  task: string;
  root: string;
  resultPath: string;
  upstreamFiles: { glob: string; dir: string }[];
}

/** Nx's own summary line: `Cache: 1/1 hit (100%)`. */
function cacheHit(output: string): boolean {
  const summary = /Cache:\s+(\d+)\/(\d+) hit/.exec(stripVTControlCharacters(output));
  return summary !== null && summary[1] === summary[2] && summary[2] !== '0';
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { spec: { type: 'string' } } });
  if (!values.spec) throw new Error('run-task: --spec <job spec JSON> is required');
  const spec = JSON.parse(await readFile(values.spec, 'utf8')) as JobSpec;
  const jobId = process.env.SLURM_JOB_ID ?? 'local';
  const restarts = Number(process.env.SLURM_RESTART_COUNT ?? '0');
  process.stdout.write(
    `[slurm] job ${jobId} on ${process.env.SLURMD_NODENAME ?? 'unknown node'}: ${spec.task}${restarts > 0 ? ` (restart ${restarts})` : ''}\n`,
  );

  const digest = await upstreamDigest(spec.root, spec.upstreamFiles);
  const cpus = process.env.SLURM_CPUS_PER_TASK ?? process.env.SLURM_CPUS_ON_NODE;
  const nx = join(spec.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
  // --forwardAllArgs=false keeps the digest override out of the stage's command line; Nx still hashes it.
  const args = [nx, ...jobNxArgs(spec.task, digest)];
  // A job has its CPUs to itself whether or not its task is alone in the pipeline: an empty GOODHART_LONE_THREADS
  // (from an exported one) makes an alone task's engine read GOODHART_THREADS as every other task's does.
  const result = await execa('node', args, {
    cwd: spec.root,
    env: {
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      [LONE_THREADS_ENV]: '',
      ...(cpus && !process.env.GOODHART_THREADS ? { GOODHART_THREADS: cpus } : {}),
    },
    stdout: ['pipe', 'inherit'],
    stderr: ['pipe', 'inherit'],
    reject: false,
  });
  const exitCode = result.exitCode ?? 1;
  const cached = exitCode === 0 && cacheHit(`${result.stdout}\n${result.stderr}`);
  await writeTaskResult(spec.resultPath, { task: spec.task, jobId, cached, exitCode });
  process.stdout.write(`[slurm] ${spec.task}: ${exitCode === 0 ? (cached ? 'restored from the Nx cache' : 'computed') : `failed (exit ${exitCode})`}\n`);
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
