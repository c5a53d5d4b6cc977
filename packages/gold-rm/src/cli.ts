import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { formatGoldRmMetrics } from './report.ts';
import { runGoldRm } from './stage.ts';

/** `gold-rm --preset quick [--engine native|tfjs]`: trains the frozen gold RM on the human's labels. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { preset: { type: 'string', default: 'quick' }, engine: { type: 'string' }, backend: { type: 'string' }, precision: { type: 'string' } },
  });
  await initEngineFromFlags('gold-rm', values);
  const { metrics, outputDir } = await runGoldRm({ preset: values.preset });
  process.stdout.write(`\n${formatGoldRmMetrics(metrics)}\nartifacts: ${outputDir}\n`);
}

runCli('gold-rm', main);
