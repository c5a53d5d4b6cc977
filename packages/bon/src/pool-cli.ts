import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { parseBonArgs } from './cli-args.ts';
import { runPool } from './pool-stage.ts';

/** `bon --preset P --pool`: samples the shared pool (the entry point of the pool's Nx task). */
runCli('bon', async () => {
  const args = parseBonArgs('pool');
  await initEngineFromFlags('bon', args);
  const { samples, distinct, outputDir } = await runPool({ preset: args.preset });
  process.stdout.write(`pool: ${samples} samples (${distinct} distinct); artifacts: ${outputDir}\n`);
});
