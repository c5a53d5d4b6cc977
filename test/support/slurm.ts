import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa, execaSync } from 'execa';
import { describe, it } from 'vitest';
import { repositoryRoot } from './workspace.ts';

/**
 * Helpers for tests against a real Slurm cluster (scripts/slurm-cluster.sh start; SLURM_CONF exported). Without a
 * reachable cluster the Slurm tests skip and say why; CI sets GOODHART_REQUIRE_SLURM=1, which turns that into a
 * failure.
 */
export const slurmRequired = process.env.GOODHART_REQUIRE_SLURM === '1';

function probeCluster(): string | undefined {
  try {
    const result = execaSync('sinfo', ['-h', '-o', '%t'], { reject: false, timeout: 10_000 });
    if (result.exitCode !== 0) return `sinfo failed: ${(result.stderr || result.stdout).trim().split('\n')[0]}`;
    if (!/idle|mix|alloc/.test(result.stdout)) return `no usable node (sinfo: ${result.stdout.trim() || 'nothing'})`;
    return undefined;
  } catch (error) {
    return `sinfo not runnable: ${(error as Error).message.split('\n')[0]}`;
  }
}

export const slurmUnavailable = probeCluster();

/** A describe block that needs the cluster: skipped with the reason, or failing under GOODHART_REQUIRE_SLURM=1. */
export function describeSlurm(title: string, body: () => void): void {
  if (slurmUnavailable !== undefined && slurmRequired) {
    describe(title, () => {
      it('reaches the Slurm cluster (GOODHART_REQUIRE_SLURM=1)', () => {
        throw new Error(`GOODHART_REQUIRE_SLURM=1 but no Slurm cluster is reachable: ${slurmUnavailable}`);
      });
    });
    return;
  }
  const reason =
    slurmUnavailable === undefined
      ? ''
      : ` — SKIPPED: no Slurm cluster (${slurmUnavailable}); start one with scripts/slurm-cluster.sh start and export SLURM_CONF, or set GOODHART_REQUIRE_SLURM=1 to make this a failure`;
  describe.skipIf(slurmUnavailable !== undefined)(`${title}${reason}`, body);
}

/** The directory of the test cluster scripts/slurm-cluster.sh started (its config is <dir>/etc/slurm.conf). */
export function clusterDir(): string {
  const conf = process.env.SLURM_CONF;
  if (!conf) throw new Error('SLURM_CONF is not set: the node-failure test needs the test cluster of scripts/slurm-cluster.sh');
  return dirname(dirname(conf));
}

export const nxBin = join(repositoryRoot, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
export const pipelineScript = join(repositoryRoot, 'scripts', 'pipeline.ts');
export const nxEnv = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** sha256 of every Parquet and safetensors file and findings.json under artifacts/<preset>, by relative path. */
export async function artifactDigests(workspace: string, preset: string): Promise<Map<string, string>> {
  const base = join(workspace, 'artifacts', preset);
  const digests = new Map<string, string>();
  for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(parquet|safetensors)$|^findings\.json$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(base, path);
    if (rel.startsWith('slurm/') || rel.includes('/work/')) continue; // run bookkeeping and PPO checkpoints
    digests.set(
      rel,
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return new Map([...digests].sort(([a], [b]) => a.localeCompare(b)));
}

export interface LastRun {
  outcomes: { task: string; phase: string; jobIds: string[]; retries: number; requeues: number }[];
  submissions: number;
  firstFailure?: { task: string; jobId: string; reason: string; log: string };
}

export function readLastRun(workspace: string, preset: string): LastRun {
  return JSON.parse(readFileSync(join(workspace, 'artifacts', preset, 'slurm', 'last-run.json'), 'utf8')) as LastRun;
}

export function tasksIn(run: LastRun, phase: string): string[] {
  return run.outcomes
    .filter((o) => o.phase === phase)
    .map((o) => o.task)
    .sort();
}

export interface JobState {
  state: string;
  reason: string;
  restarts: number;
}

export async function jobState(jobId: string): Promise<JobState | undefined> {
  const { stdout, exitCode } = await execa('scontrol', ['show', 'job', '-o', jobId], { reject: false });
  if (exitCode !== 0) return undefined;
  const field = (key: string): string => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(stdout)?.[1] ?? '';
  return { state: field('JobState'), reason: field('Reason'), restarts: Number(field('Restarts')) || 0 };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Process ids of slurmstepd for the job (`slurmstepd: [<id>.batch]`) found in /proc. */
function stepDaemons(jobId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.startsWith(`slurmstepd: [${jobId}.`)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/**
 * Simulates the crash of the node running `jobId`: SIGKILL to slurmd, the job's slurmstepd and the job's processes
 * (all started by the test cluster, found by pid), then slurmd is started again and asked to re-register.
 */
export async function crashNodeUnder(jobId: string): Promise<void> {
  const dir = clusterDir();
  const slurmdPid = Number(readFileSync(join(dir, 'run', 'slurmd.pid'), 'utf8').trim());
  const listed = await execa('scontrol', ['listpids', jobId], { reject: false });
  const jobPids = listed.stdout
    .split('\n')
    .slice(1)
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 1);
  for (const pid of [slurmdPid, ...stepDaemons(jobId), ...jobPids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Dead means gone or a zombie (PID 1 here does not reap the daemons it inherits).
  await waitFor(
    'slurmd to die',
    () => {
      try {
        return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${slurmdPid}/stat`, 'utf8')) ? true : undefined;
      } catch {
        return true;
      }
    },
    10_000,
    50,
  );
  await execa(join(repositoryRoot, 'scripts', 'slurm-cluster.sh'), ['start', dir]);
  await execa('scontrol', ['reconfigure'], { reject: false });
}

/** `scancel <id>`, as a user would cancel one job. */
export async function scancelJob(jobId: string): Promise<void> {
  await execa('scancel', [jobId]);
}
