import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { formatFindings, formatFits, formatHumanBesideGold } from './console-report.ts';
import { runFit } from './stage.ts';

/** `fit --preset P`: fits, findings and the report for every curve the preset's bon and ppo stages made. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' } } });
  const result = await runFit({ preset: values.preset });
  for (const warning of result.warnings) process.stderr.write(`[fit] figure warning: ${warning}\n`);
  process.stdout.write(
    `\n${formatFits(result.results)}\n\n${formatHumanBesideGold(result.input)}\n\n${formatFindings(result.findings)}\n\nreport: ${result.report}\n`,
  );
}

runCli('fit', main);
