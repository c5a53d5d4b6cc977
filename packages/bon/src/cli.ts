import { runCli } from '@goodhart/core';
import { type BonMode, parseBonArgs } from './cli-args.ts';

/**
 * `bon --preset P --pool` samples the shared pool; `--score CELL` scores it with one proxy; `--curves` computes the
 * best-of-n curves of every proxy. Nx runs each as its own cached task through the mode's own entry point, so a task
 * hashes only the code it runs (an edit to the curves does not resample the pool); this command line loads the same.
 */
const ENTRY_POINTS: Record<BonMode, string> = { pool: './pool-cli.ts', score: './score-cli.ts', curves: './curves-cli.ts' };

runCli('bon', async () => {
  await import(ENTRY_POINTS[parseBonArgs().mode]);
});
