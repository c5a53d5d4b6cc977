import { parseArgs } from 'node:util';
import { backendLine, initBackend, parseBackendChoice, runCli } from '@goodhart/core';
import { runLabel } from './stage.ts';

/** `label --preset quick [--backend wasm]`: samples the initial policy, scores with gold, writes comparisons. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, backend: { type: 'string' } } });
  const backend = await initBackend(parseBackendChoice(values.backend ?? process.env.GOODHART_BACKEND));
  process.stderr.write(`[label] ${backendLine(backend)}\n`);
  const s = await runLabel({ preset: values.preset, backend: backend.requested });
  process.stdout.write(
    [
      '',
      `policy samples: ${s.samples}; gold (raw) mean ${s.gold.mean.toFixed(4)}, sd ${s.gold.std.toFixed(4)} — later stages report gold in these units`,
      `comparisons: ${s.comparisons.train} train, ${s.comparisons.validation} validation (${s.comparisons.ties} tied pairs dropped)`,
      `labels agreeing with gold: ${(100 * s.agreement).toFixed(1)}%`,
      `artifacts: ${s.outputDir}`,
      '',
    ].join('\n'),
  );
}

runCli('label', main);
