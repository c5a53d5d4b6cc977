import { parseArgs } from 'node:util';
import { CELL_NAME_FORM, runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { formatProxyTable } from './report.ts';
import { runProxyCell, runProxySummary } from './stage.ts';

/**
 * `proxy --preset quick --cell xs-n250-s0` trains one grid cell; `proxy --preset quick --summary` gathers the grid.
 * Nx runs one task per cell (generated from the pipeline file), so adding a cell trains only that cell.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      cell: { type: 'string' },
      summary: { type: 'boolean', default: false },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  if (values.summary === Boolean(values.cell)) throw new Error(`give exactly one of --cell ${CELL_NAME_FORM} or --summary`);
  if (values.cell) {
    await initEngineFromFlags(`proxy ${values.cell}`, values);
    const { metrics: m } = await runProxyCell({ preset: values.preset, cell: values.cell });
    process.stdout.write(
      `proxy ${m.cell}: validation loss ${m.validationLoss.toFixed(4)}, accuracy ${(100 * m.validationAccuracy).toFixed(1)}% (vs gold ${(100 * m.validationGoldAccuracy).toFixed(1)}%, vs the human ${(100 * m.validationHumanAccuracy).toFixed(1)}%), temperature ${m.temperature.toFixed(3)}, shift ${m.shift.toFixed(4)}\n`,
    );
    return;
  }
  const { rows, outputDir } = await runProxySummary({ preset: values.preset });
  process.stdout.write(`\n${formatProxyTable(rows)}\nartifacts: ${outputDir}\n`);
}

runCli('proxy', main);
