/**
 * Reading job states from Slurm's tools, defensively: the JSON schema of `squeue --json` changed between Slurm 22
 * and 25, and the text forms are the fallback on sites whose squeue has no JSON serializer.
 *
 * - Slurm 22.05/23.02: `job_state` is a string, `exit_code` the raw wait status (256 = exit 1, 9 = SIGKILL).
 * - Slurm 23.11+: `job_state` is an array of flags (["RUNNING"], ["PENDING","REQUEUED"]), `exit_code` an object
 *   `{ status: [...], return_code: { set, infinite, number } | number, signal: { id: { number } , name } }`.
 * - `scontrol show job -o`: `JobState=FAILED Reason=NonZeroExitCode … Restarts=0 … ExitCode=1:0` (exit:signal).
 */
export interface JobStatus {
  jobId: string;
  /** Base state in upper case: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, … */
  state: string;
  reason: string;
  /** Exit code of the batch script when known. */
  exitCode: number | null;
  /** Signal that ended it, when known (0 for none). */
  signal: number | null;
  restarts: number;
}

/** States after which the job will not run again by itself. */
export const FINAL_STATES = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
  'SPECIAL_EXIT',
  'REVOKED',
]);

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A Slurm number: a plain number, or `{ set, infinite, number }` (23.11+). */
function slurmNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const record = asRecord(value);
  if (record && record.set !== false && typeof record.number === 'number') return record.number;
  return null;
}

/** Base state from a string ("RUNNING", "CANCELLED by 0") or a flag array (["PENDING", "REQUEUED"]). */
export function baseState(value: unknown): string {
  const first = Array.isArray(value) ? (value.find((flag) => typeof flag === 'string' && FINAL_STATES.has(flag.toUpperCase())) ?? value[0]) : value;
  return typeof first === 'string' ? (first.trim().split(/\s+/)[0] ?? '').toUpperCase() : 'UNKNOWN';
}

/** Exit code and signal from a raw wait status (22.05–23.02) or an exit-code object (23.11+). */
export function exitFromJson(value: unknown): { exitCode: number | null; signal: number | null } {
  if (typeof value === 'number') return { exitCode: (value >> 8) & 0xff, signal: value & 0x7f };
  const record = asRecord(value);
  if (!record) return { exitCode: null, signal: null };
  const signal = asRecord(record.signal);
  return { exitCode: slurmNumber(record.return_code), signal: signal ? slurmNumber(signal.id) : null };
}

/** Jobs of a `squeue --json` (or slurmrestd) reply, keyed by job id; array tasks keep their own id. */
export function parseSqueueJson(text: string): Map<string, JobStatus> {
  const reply = asRecord(JSON.parse(text));
  const jobs = Array.isArray(reply?.jobs) ? reply.jobs : [];
  const statuses = new Map<string, JobStatus>();
  for (const raw of jobs) {
    const job = asRecord(raw);
    const id = job ? slurmNumber(job.job_id) : null;
    if (!job || id === null) continue;
    const { exitCode, signal } = exitFromJson(job.exit_code);
    statuses.set(String(id), {
      jobId: String(id),
      state: baseState(job.job_state),
      reason: typeof job.state_reason === 'string' ? job.state_reason : '',
      exitCode,
      signal,
      restarts: slurmNumber(job.restart_cnt) ?? 0,
    });
  }
  return statuses;
}

/** One job from `scontrol show job -o <id>` (one line of `Key=Value` pairs). */
export function parseScontrolJob(text: string): JobStatus | undefined {
  const field = (key: string): string | undefined => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(text)?.[1];
  const jobId = field('JobId');
  if (!jobId) return undefined;
  const exit = /^(\d+):(\d+)$/.exec(field('ExitCode') ?? '');
  return {
    jobId,
    state: baseState(field('JobState') ?? 'UNKNOWN'),
    reason: field('Reason') ?? '',
    exitCode: exit ? Number(exit[1]) : null,
    signal: exit ? Number(exit[2]) : null,
    restarts: Number(field('Restarts') ?? '0') || 0,
  };
}

/** Lines of `squeue -h -t all -o '%i|%T|%r'`; exit codes are not in squeue's text output. */
export function parseSqueueText(text: string): Map<string, JobStatus> {
  const statuses = new Map<string, JobStatus>();
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state || !/^\d+$/.test(id)) continue;
    statuses.set(id, { jobId: id, state: baseState(state), reason: reason ?? '', exitCode: null, signal: null, restarts: 0 });
  }
  return statuses;
}

/** `sbatch --parsable` prints `<id>` or `<id>;<cluster>`. */
export function parseSbatchId(text: string): string {
  const id = text.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+$/.test(id)) throw new Error(`sbatch did not print a job id: ${JSON.stringify(text.trim())}`);
  return id;
}
