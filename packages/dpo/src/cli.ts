import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { runDpoRun } from './stage.ts';
import { formatDpoCurves, runDpoSummary } from './summary.ts';

/**
 * `dpo --preset P --run RUN` trains one direct-alignment run (`<cell>-<loss>-b<β>`), resuming from its checkpoint
 * after a kill; `--summary` gathers every run's curve. Nx runs each run as its own cached task.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      run: { type: 'string' },
      summary: { type: 'boolean', default: false },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  if (Boolean(values.run) === values.summary) throw new Error('give exactly one of --run <run>, --summary');
  if (values.summary) {
    const { rows, outputDir } = await runDpoSummary({ preset: values.preset });
    process.stdout.write(`\n${formatDpoCurves(rows)}\n\nartifacts: ${outputDir}\n`);
    return;
  }
  await initEngineFromFlags('dpo', values);
  const result = await runDpoRun({ preset: values.preset, run: values.run! });
  process.stdout.write(`run ${result.run} done${result.resumedFrom > 0 ? ` (resumed at step ${result.resumedFrom})` : ''}; artifacts: ${result.outputDir}\n`);
}

runCli('dpo', main);
