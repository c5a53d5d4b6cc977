import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { initEngineFromFlags } from '@goodhart/model';
import { runLabel } from './stage.ts';

/** `label --preset quick [--engine native|tfjs]`: samples the initial policy, scores with gold (and the human), writes comparisons. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { preset: { type: 'string', default: 'quick' }, engine: { type: 'string' }, backend: { type: 'string' }, precision: { type: 'string' } },
  });
  await initEngineFromFlags('label', values);
  const s = await runLabel({ preset: values.preset });
  process.stdout.write(
    [
      '',
      `policy samples: ${s.samples}; gold (raw) mean ${s.gold.mean.toFixed(4)}, sd ${s.gold.std.toFixed(4)} — later stages report gold in these units`,
      `comparisons: ${s.comparisons.train} train, ${s.comparisons.validation} validation (${s.comparisons.ties} tied pairs dropped)`,
      `labels agreeing with gold: ${(100 * s.agreement).toFixed(1)}%`,
      s.goldKind === 'model'
        ? `gold RM agreeing with the human on these comparisons: ${(100 * s.goldHumanAgreement).toFixed(1)}%`
        : 'gold is the human (gold.kind "lexicon")',
      `artifacts: ${s.outputDir}`,
      '',
    ].join('\n'),
  );
}

runCli('label', main);
