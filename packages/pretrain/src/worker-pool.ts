import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import type { TrainJob } from './train-job.ts';

const workerScript = fileURLToPath(new URL('./train-worker.ts', import.meta.url));

/**
 * Runs train jobs in child processes, `parallelism` at a time: wasm runs one thread per process, so separate
 * processes are how several model sizes use several cores. Fails fast: the first failing job kills the rest.
 */
export async function runJobsInProcesses(jobs: readonly TrainJob[], parallelism: number, jobDir: string, cwd: string): Promise<void> {
  const queue = [...jobs];
  const running = new Set<ReturnType<typeof spawn>>();
  let failure: Error | undefined;

  const runOne = async (job: TrainJob): Promise<void> => {
    const jobPath = `${jobDir}/${job.sizeName}.job.json`;
    await writeFile(jobPath, JSON.stringify(job));
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', workerScript, jobPath], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
      running.add(child);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        running.delete(child);
        if (code === 0) resolve();
        else reject(new Error(`training model size "${job.sizeName}" failed (${signal ? `signal ${signal}` : `exit code ${code}`}); see its output above`));
      });
    });
  };

  const lane = async (): Promise<void> => {
    while (queue.length > 0 && !failure) {
      const job = queue.shift()!;
      try {
        await runOne(job);
      } catch (error) {
        failure ??= error as Error;
        for (const child of running) child.kill('SIGTERM');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, jobs.length)) }, lane));
  if (failure) throw failure;
}
