import { loadPipeline, runCli } from '@goodhart/core';
import { parseBonArgs } from './cli-args.ts';
import { runCurves } from './curves-stage.ts';
import { formatCurve, formatSummary } from './report.ts';

/** `bon --preset P --curves`: the best-of-n curves of every proxy (the entry point of the curves' Nx task). */
runCli('bon', async () => {
  const args = parseBonArgs('curves');
  const { curves, outputDir } = await runCurves({ preset: args.preset });
  const config = loadPipeline(args.preset);
  // The headline curve: the smallest proxy trained on the fewest comparisons.
  const smallest = [...curves].sort(
    (a, b) => config.proxy.grid.sizes.indexOf(a.size) - config.proxy.grid.sizes.indexOf(b.size) || a.comparisons - b.comparisons || a.seed - b.seed,
  )[0];
  process.stdout.write(`\n${formatCurve(smallest)}\n\n${formatSummary(curves)}\nartifacts: ${outputDir}\n`);
});
