import { readFile } from 'node:fs/promises';
import { runTrainJob, type TrainJob } from './train-job.ts';

/** Child-process entry: `node --import tsx train-worker.ts <job.json>`. One model size per process. */
const jobPath = process.argv[2];
if (!jobPath) {
  process.stderr.write('usage: train-worker.ts <job.json>\n');
  process.exit(2);
}
try {
  await runTrainJob(JSON.parse(await readFile(jobPath, 'utf8')) as TrainJob);
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
