import { crossSeedDir, crossSeedReport, findingsLine, writeCrossSeedReport } from '@goodhart/fit';

/** A seed's run and its wall time in this invocation of `npm run pipeline --seeds`. */
export interface SeedTiming {
  seed: number;
  preset: string;
  seconds: number;
}

/** Writes the cross-seed report of the seeds just run and prints each seed's findings line and where the report is. */
export async function reportAcrossSeeds(root: string, preset: string, timings: readonly SeedTiming[]): Promise<void> {
  const report = await crossSeedReport(
    root,
    preset,
    timings.map((t) => t.preset),
  );
  const dir = crossSeedDir(
    root,
    preset,
    timings.map((t) => t.seed),
  );
  const [summary] = await writeCrossSeedReport(dir, report, timings);
  process.stdout.write(`\nacross seeds of "${preset}" (✓ holds, ✗ does not, — not testable with this preset):\n`);
  for (const run of report.runs) {
    const time = timings.find((t) => t.seed === run.seed);
    process.stdout.write(`  seed ${run.seed}: ${findingsLine(run)}${time ? `  (${run.preset}, ${Math.round(time.seconds)} s)` : ''}\n`);
  }
  const held = report.tally.map((t) => `${t.id}: ${t.holds}/${report.runs.length}`).join('  ');
  process.stdout.write(`  holds at: ${held}\ncross-seed report: ${summary}\n`);
}
