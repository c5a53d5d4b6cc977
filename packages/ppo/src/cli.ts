import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { formatRunCurves } from './report.ts';
import { runPpoRun } from './stage.ts';
import { runPpoSummary } from './summary.ts';

/**
 * `ppo --preset P --run RUN` trains one run (`<cell>-kl<coef>-<policy>`), resuming from its checkpoint after a
 * kill; `--summary` gathers every run's curve. Nx runs each run as its own cached task.
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
    const { rows, outputDir } = await runPpoSummary({ preset: values.preset });
    process.stdout.write(`\n${formatRunCurves(rows)}\n\nartifacts: ${outputDir}\n`);
    return;
  }
  await initEngineFromFlags('ppo', values);
  const result = await runPpoRun({ preset: values.preset, run: values.run! });
  process.stdout.write(
    `run ${result.run} done${result.resumedFrom > 0 ? ` (resumed at iteration ${result.resumedFrom})` : ''}; artifacts: ${result.outputDir}\n`,
  );
}

runCli('ppo', main);
