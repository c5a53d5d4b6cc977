import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { runProxyAverage } from './average-stage.ts';

/** `proxy --preset P --average SOURCE`: one weight-averaged RM from its member cells (the entry point of its Nx task). */
runCli('proxy', async () => {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      average: { type: 'string' },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  if (!values.average) throw new Error('give --average <source>: a weightAverage source of the pipeline file');
  await initEngineFromFlags(`proxy ${values.average}`, values);
  const { outputDir } = await runProxyAverage({ preset: values.preset, source: values.average });
  process.stdout.write(`artifacts: ${outputDir}\n`);
});
