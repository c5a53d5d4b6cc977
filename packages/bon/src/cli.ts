import { parseArgs } from 'node:util';
import { loadPipeline, runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { formatCurve, formatSummary } from './report.ts';
import { runCurves, runPool, runScore } from './stage.ts';

/**
 * `bon --preset P --pool` samples the shared pool; `--score CELL` scores it with one proxy; `--curves` computes the
 * best-of-n curves of every proxy. Nx runs each as its own cached task, so adding a proxy scores the pool again but
 * does not resample it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      pool: { type: 'boolean', default: false },
      score: { type: 'string' },
      curves: { type: 'boolean', default: false },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  const modes = [values.pool, Boolean(values.score), values.curves].filter(Boolean).length;
  if (modes !== 1) throw new Error('give exactly one of --pool, --score <cell>, --curves');
  if (values.curves) {
    const { curves, outputDir } = await runCurves({ preset: values.preset });
    const config = loadPipeline(values.preset);
    // The headline curve: the smallest proxy trained on the fewest comparisons.
    const smallest = [...curves].sort(
      (a, b) => config.proxy.grid.sizes.indexOf(a.size) - config.proxy.grid.sizes.indexOf(b.size) || a.comparisons - b.comparisons || a.seed - b.seed,
    )[0];
    process.stdout.write(`\n${formatCurve(smallest)}\n\n${formatSummary(curves)}\nartifacts: ${outputDir}\n`);
    return;
  }
  await initEngineFromFlags('bon', values);
  if (values.pool) {
    const { samples, distinct, outputDir } = await runPool({ preset: values.preset });
    process.stdout.write(`pool: ${samples} samples (${distinct} distinct); artifacts: ${outputDir}\n`);
  } else if (values.score) {
    const { outputDir } = await runScore({ preset: values.preset, cell: values.score });
    process.stdout.write(`scores: ${outputDir}\n`);
  }
}

runCli('bon', main);
