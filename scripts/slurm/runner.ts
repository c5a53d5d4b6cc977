import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration, type SlurmSettings } from '@goodhart/core';
import { logPath, logPattern, logsDir, readTaskResult, resultPath, resultsDir, slurmDir, taskFileName } from './job-files.ts';
import type { JobStatus } from './job-status.ts';
import { sbatchResourceArgs } from './job-settings.ts';
import type { JobSpec } from './run-task.ts';
import { jobStatuses, sbatch, scancel } from './slurm-cli.ts';
import type { PipelineTask, PipelineTaskGraph } from './task-graph.ts';

/**
 * Runs a task graph as Slurm jobs: one `sbatch --parsable` per task, `--dependency=afterok:` on its upstream jobs
 * (`--kill-on-invalid-dep=yes`, so a failure cancels its dependents instead of leaving them pending forever), and
 * `--requeue`, so a job whose node dies is run again. Progress comes from polling squeue/scontrol.
 *
 * A job killed from outside (scancel by someone else, node failure, preemption) is submitted again up to
 * `retries` times, and the dependents Slurm cancelled because of it are submitted again after it; a job that fails
 * on its own (non-zero exit, time limit, memory) is not retried. PPO resumes from its checkpoint either way.
 */
export type Phase = 'queued' | 'running' | 'cached' | 'done' | 'failed' | 'stopped' | 'cancelled' | 'restored';

export interface TaskOutcome {
  task: string;
  kind: string;
  /** `restored`: restored from the Nx cache on the submitting machine, no job; `cached`: a job restored it. */
  phase: Phase;
  /** Nx's hash, for a task restored on the submitting machine. */
  hash?: string;
  /** Every job submitted for the task, oldest first. */
  jobIds: string[];
  /** How many of those were killed from outside and resubmitted. */
  retries: number;
  /** Times Slurm requeued the task's job (node failure with --requeue). */
  requeues: number;
  log?: string;
}

export interface SlurmRunReport {
  outcomes: TaskOutcome[];
  /** Total sbatch calls. */
  submissions: number;
  firstFailure?: { task: string; jobId: string; reason: string; log: string };
  interrupted: boolean;
}

export interface SlurmRunOptions {
  root: string;
  preset: string;
  graph: PipelineTaskGraph;
  settings: SlurmSettings;
  /** Environment the jobs run with (exported by sbatch). */
  env: Record<string, string>;
  pollMs?: number;
  /** Resubmissions allowed per task after it was killed from outside. */
  retries?: number;
  /** Tasks already restored from the Nx cache on the submitting machine (not in `graph`), for the report. */
  restored?: { id: string; kind: string; hash: string }[];
  print?: (line: string) => void;
}

interface TaskRecord {
  task: PipelineTask;
  phase: Phase | 'unsubmitted';
  jobIds: string[];
  retries: number;
  requeues: number;
  lastRestarts: number;
  /** Polls in a row in which Slurm no longer knew the job and no result was written. */
  missing: number;
  /** When the job was first seen ended by its node (NODE_FAIL, PREEMPTED, BOOT_FAIL). */
  nodeLostAt?: number;
  startedAt?: number;
}

const ALIVE: ReadonlySet<string> = new Set(['queued', 'running']);
const FINISHED: ReadonlySet<string> = new Set(['cached', 'done', 'failed', 'stopped', 'cancelled']);
/** Ended by its node or the scheduler: Slurm requeues such a job itself (--requeue), else it is worth resubmitting. */
const KILLED_STATES = new Set(['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']);
/** How long a job ended by its node may stay so before the runner resubmits it instead of waiting for the requeue. */
const REQUEUE_GRACE_MS = 30_000;
const PENDING_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED', 'RESIZING']);
const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SIGNALING', 'STAGE_OUT']);

/** The job's entry point, from this checkout (the one all nodes share). */
const RUN_TASK = fileURLToPath(new URL('./run-task.ts', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runOnSlurm(options: SlurmRunOptions): Promise<SlurmRunReport> {
  const { root, preset, graph, settings, env } = options;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pollMs = options.pollMs ?? 1000;
  const maxRetries = options.retries ?? 1;
  const started = performance.now();
  const elapsed = (): string => formatDuration((performance.now() - started) / 1000);
  const records = new Map<string, TaskRecord>(
    graph.tasks.map((task) => [task.id, { task, phase: 'unsubmitted', jobIds: [], retries: 0, requeues: 0, lastRestarts: 0, missing: 0 }]),
  );
  const total = records.size;
  let submissions = 0;
  let firstFailure: SlurmRunReport['firstFailure'];
  let interrupted = false;
  const cancelledByUs = new Set<string>();

  await mkdir(logsDir(root, preset), { recursive: true }); // Slurm fails a job whose -o directory is missing
  await mkdir(resultsDir(root, preset), { recursive: true });
  await mkdir(join(slurmDir(root, preset), 'jobs'), { recursive: true });

  const finishedCount = (): number => [...records.values()].filter((r) => FINISHED.has(r.phase)).length;
  const say = (record: TaskRecord, what: string, detail = ''): void => {
    const job = record.jobIds.at(-1);
    print(
      `[slurm] ${String(finishedCount()).padStart(String(total).length)}/${total} ${what.padEnd(9)} ${record.task.id}${job ? ` (job ${job})` : ''}${detail ? ` ${detail}` : ''} | elapsed ${elapsed()}`,
    );
  };
  const currentLog = (record: TaskRecord): string => logPath(root, preset, record.task.id, record.jobIds.at(-1) ?? '?');

  const submit = async (record: TaskRecord): Promise<void> => {
    const { task } = record;
    const upstream = task.upstream.map((id) => records.get(id)).filter((r): r is TaskRecord => r !== undefined);
    const waitFor = upstream.filter((r) => ALIVE.has(r.phase)).map((r) => r.jobIds.at(-1) as string);
    const specPath = join(slurmDir(root, preset), 'jobs', `${taskFileName(task.id)}.json`);
    const spec: JobSpec = { task: task.id, root, resultPath: resultPath(root, preset, task.id), upstreamFiles: task.upstreamFiles };
    await writeFile(specPath, `${JSON.stringify(spec, null, 2)}\n`);
    await rm(spec.resultPath, { force: true });
    const args = [
      `--job-name=${task.id}`,
      `--output=${logPattern(root, preset, task.id)}`,
      '--open-mode=append',
      '--requeue',
      '--kill-on-invalid-dep=yes',
      `--chdir=${root}`,
      ...(waitFor.length > 0 ? [`--dependency=afterok:${waitFor.join(':')}`] : []),
      ...sbatchResourceArgs(settings, task.kind),
    ];
    const script = `#!/bin/bash\n# ${task.id}: one Nx task of pipeline "${preset}", submitted by npm run pipeline -- --executor slurm\nexec node --import tsx ${JSON.stringify(RUN_TASK)} --spec ${JSON.stringify(specPath)}\n`;
    const jobId = await sbatch(args, script, root, env);
    submissions += 1;
    record.jobIds.push(jobId);
    record.phase = 'queued';
    record.lastRestarts = 0;
    record.missing = 0;
    record.nodeLostAt = undefined;
    say(record, 'queued', waitFor.length > 0 ? `after ${waitFor.length} job${waitFor.length > 1 ? 's' : ''}` : '');
  };

  const fail = (record: TaskRecord, reason: string): void => {
    record.phase = 'failed';
    const jobId = record.jobIds.at(-1) ?? '?';
    firstFailure ??= { task: record.task.id, jobId, reason, log: currentLog(record) };
    say(record, 'failed', `${reason}; log: ${currentLog(record)}`);
  };

  const finish = async (record: TaskRecord, status: JobStatus | undefined): Promise<void> => {
    const jobId = record.jobIds.at(-1) as string;
    const result = await readTaskResult(resultPath(root, preset, record.task.id), jobId);
    if (result && result.exitCode === 0) {
      record.phase = result.cached ? 'cached' : 'done';
      say(record, record.phase, record.startedAt ? `in ${formatDuration((performance.now() - record.startedAt) / 1000)}` : '');
    } else if (result) {
      fail(record, `exit code ${result.exitCode}`);
    } else {
      fail(
        record,
        status
          ? `Slurm says ${status.state}${status.reason && status.reason !== 'None' ? ` (${status.reason})` : ''} but the job wrote no result`
          : 'Slurm no longer knows the job and it wrote no result',
      );
    }
  };

  const update = async (record: TaskRecord, status: JobStatus | undefined): Promise<void> => {
    if (!status) {
      // Past MinJobAge Slurm forgets a job; its result file still tells how it ended.
      record.missing += 1;
      if (record.missing >= 3) await finish(record, undefined);
      return;
    }
    record.missing = 0;
    if (status.restarts > record.lastRestarts) {
      record.requeues += status.restarts - record.lastRestarts;
      record.lastRestarts = status.restarts;
      record.phase = 'queued';
      say(record, 'requeued', `(restart ${status.restarts}: its node failed)`);
    }
    if (!KILLED_STATES.has(status.state)) record.nodeLostAt = undefined;
    if (PENDING_STATES.has(status.state)) return;
    if (RUNNING_STATES.has(status.state)) {
      if (record.phase !== 'running') {
        record.phase = 'running';
        record.startedAt = performance.now();
        say(record, 'running');
      }
      return;
    }
    if (status.state === 'COMPLETED') return finish(record, status);
    const jobId = record.jobIds.at(-1) as string;
    if (status.state === 'CANCELLED') {
      if (cancelledByUs.has(jobId)) {
        record.phase = 'cancelled';
        return;
      }
      if (/Dependency/i.test(status.reason)) {
        record.phase = 'stopped';
        say(record, 'stopped', 'an upstream job did not succeed');
        return;
      }
    }
    if (KILLED_STATES.has(status.state)) {
      // Slurm is about to requeue it (--requeue); resubmitting now would run the task twice.
      record.nodeLostAt ??= performance.now();
      if (performance.now() - record.nodeLostAt < REQUEUE_GRACE_MS) return;
    }
    if (status.state === 'CANCELLED' || KILLED_STATES.has(status.state)) {
      if (record.retries < maxRetries) {
        record.retries += 1;
        say(record, 'killed', `(${status.state}); submitting it again (retry ${record.retries} of ${maxRetries})`);
        await submit(record);
        return;
      }
      fail(record, `${status.state} from outside, and no retries left`);
      return;
    }
    fail(record, `${status.state}${status.exitCode !== null ? `, exit code ${status.exitCode}${status.signal ? ` signal ${status.signal}` : ''}` : ''}`);
  };

  const activeJobIds = (): string[] => [...records.values()].filter((r) => ALIVE.has(r.phase)).map((r) => r.jobIds.at(-1) as string);

  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    const ids = activeJobIds();
    for (const id of ids) cancelledByUs.add(id);
    print(
      `[slurm] interrupted: cancelling the ${ids.length} job${ids.length === 1 ? '' : 's'} this run submitted that are still queued or running${ids.length ? ` (${ids.join(' ')})` : ''}`,
    );
    void scancel(ids).finally(() => {
      for (const record of records.values()) if (ALIVE.has(record.phase) || record.phase === 'unsubmitted') record.phase = 'cancelled';
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    print(`[slurm] submitting ${total} job${total === 1 ? '' : 's'} (one per Nx task that must compute) | logs in ${logsDir(root, preset)}`);
    for (const record of records.values()) {
      if (interrupted) break;
      await submit(record);
    }
    while (!interrupted && [...records.values()].some((r) => !FINISHED.has(r.phase))) {
      await sleep(pollMs);
      if (interrupted) break;
      const statuses = await jobStatuses(activeJobIds());
      for (const record of records.values()) {
        if (interrupted) break;
        if (ALIVE.has(record.phase)) {
          await update(record, statuses.get(record.jobIds.at(-1) as string));
        } else if (record.phase === 'stopped' || record.phase === 'unsubmitted') {
          // Cancelled because an upstream job was killed and has been submitted again: follow it.
          const upstream = record.task.upstream.map((id) => records.get(id));
          const ready = upstream.every((r) => r !== undefined && (ALIVE.has(r.phase) || r.phase === 'done' || r.phase === 'cached'));
          if (ready && record.jobIds.length > 0) await submit(record);
        }
      }
    }
    while (interrupted && [...records.values()].some((r) => ALIVE.has(r.phase))) await sleep(100);
  } catch (error) {
    // sbatch refused a job, or Slurm stopped answering: leave nothing of this run queued behind.
    const ids = activeJobIds();
    if (ids.length > 0) {
      print(`[slurm] stopping: cancelling the ${ids.length} jobs this run submitted (${ids.join(' ')})`);
      await scancel(ids);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const restoredHere: TaskOutcome[] = (options.restored ?? []).map(({ id, kind, hash }) => ({
    task: id,
    kind,
    phase: 'restored',
    hash,
    jobIds: [],
    retries: 0,
    requeues: 0,
  }));
  const outcomes: TaskOutcome[] = [
    ...restoredHere,
    ...[...records.values()].map((r) => ({
      task: r.task.id,
      kind: r.task.kind,
      phase: r.phase === 'unsubmitted' ? 'cancelled' : r.phase,
      jobIds: r.jobIds,
      retries: r.retries,
      requeues: r.requeues,
      log: r.jobIds.length > 0 ? currentLog(r) : undefined,
    })),
  ];
  const report: SlurmRunReport = { outcomes, submissions, firstFailure, interrupted };
  await writeFile(join(slurmDir(root, preset), 'last-run.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
