import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { parseBonArgs } from './cli-args.ts';
import { runScore } from './score-stage.ts';

/** `bon --preset P --score CELL`: scores the pool with one proxy (the entry point of a scoring's Nx task). */
runCli('bon', async () => {
  const args = parseBonArgs('score');
  await initEngineFromFlags('bon', args);
  const { outputDir } = await runScore({ preset: args.preset, cell: args.cell ?? '' });
  process.stdout.write(`scores: ${outputDir}\n`);
});
