import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempSibling } from '@goodhart/core';
import { fixed, percent } from '../report/format.ts';
import { renderSvg } from '../report/render-svg.ts';
import { poolSlopes, type PooledScaling, type PooledSlope } from './pooled-slopes.ts';
import { readSeedRun, type SeedRun } from './read-seed-run.ts';
import { seedsCoefficientSpec } from './seeds-figure.ts';

/**
 * The cross-seed report of `npm run pipeline -- --preset P --seeds 1,2,3`: the findings × seeds table, each
 * finding's verdict and evidence per seed, and finding 3's slopes pooled over the seeds (pooled-slopes.ts). Written
 * to artifacts/P/seeds-<seeds in increasing order>/ (summary.md, seeds.json, figures/coefficients.svg), from the
 * seeds' finished fit outputs only, so it is rewritten in seconds whenever the seeds are rerun. Of the figures, only
 * finding 3's coefficients are overlaid so far.
 */

/** A seed's wall time in the invocation that wrote the report (restored from the cache or computed). */
export interface SeedWallTime {
  seed: number;
  seconds: number;
}

export interface CrossSeedReport {
  preset: string;
  runs: SeedRun[];
  scaling: PooledScaling;
  /** Per finding id: how many seeds it holds, fails and cannot be judged at. */
  tally: { id: number; title: string; holds: number; fails: number; untestable: number }[];
}

/** Where the report of `seeds` of `preset` goes. */
export function crossSeedDir(root: string, preset: string, seeds: readonly number[]): string {
  return join(root, 'artifacts', preset, `seeds-${[...seeds].sort((a, b) => a - b).join('-')}`);
}

/** Reads the runs (presets or seed variants, in seed order) and pools them. */
export async function crossSeedReport(root: string, preset: string, runNames: readonly string[]): Promise<CrossSeedReport> {
  const runs: SeedRun[] = [];
  for (const name of runNames) runs.push(await readSeedRun(root, name));
  runs.sort((a, b) => a.seed - b.seed);
  const ids = [...new Map(runs.flatMap((run) => run.findings.map((f) => [f.id, f.title] as const))).entries()].sort((a, b) => a[0] - b[0]);
  const tally = ids.map(([id, title]) => {
    const verdicts = runs.map((run) => run.findings.find((f) => f.id === id)?.holds ?? null);
    return {
      id,
      title,
      holds: verdicts.filter((v) => v === true).length,
      fails: verdicts.filter((v) => v === false).length,
      untestable: verdicts.filter((v) => v === null).length,
    };
  });
  return { preset, runs, scaling: poolSlopes(runs, runs[0]?.confidence ?? 0.95), tally };
}

const mark = (holds: boolean | null | undefined): string => (holds === true ? '✓' : holds === false ? '✗' : '—');

/** "✓ 1  ✗ 2  — 3" style line of one seed. */
export function findingsLine(run: SeedRun): string {
  return run.findings.map((f) => `${f.id} ${mark(f.holds)}`).join('  ');
}

function slopeCell(slope: PooledSlope): string {
  const e = slope.estimate;
  if (!e) return 'n/a (no points)';
  const interval = Number.isFinite(e.low) ? `[${fixed(e.low, 4)}, ${fixed(e.high, 4)}]` : '[no interval]';
  return `${fixed(e.slope, 4)} ${interval}`;
}

const SLOPE_LABELS: Record<PooledSlope['name'], string> = {
  alpha_bon: 'α_bon vs RM size',
  beta_bon: 'β_bon vs RM size',
  beta_rl: 'β_RL vs RM size',
  alpha_bon_data: 'α_bon vs data',
  beta_bon_data: 'β_bon vs data',
};

/** The overlaid figure's file in the report directory. */
const COEFFICIENTS_FIGURE = 'figures/coefficients.svg';

export function renderCrossSeedMarkdown(report: CrossSeedReport, times: readonly SeedWallTime[] = [], figure = false): string {
  const { runs, scaling } = report;
  const lines: string[] = [];
  lines.push(`# ${report.preset} across pipeline seeds ${runs.map((r) => r.seed).join(', ')}`, '');
  lines.push(`Runs: ${runs.map((r) => `seed ${r.seed} = \`artifacts/${r.preset}\``).join('; ')}.`, '');
  if (times.length > 0) {
    lines.push(
      `Wall time in the invocation that wrote this report (cached tasks are restored, not rerun): ${times.map((t) => `seed ${t.seed} ${formatSeconds(t.seconds)}`).join(', ')}.`,
      '',
    );
  }
  lines.push('## Findings × seeds', '');
  lines.push(`| finding | ${runs.map((r) => `seed ${r.seed}`).join(' | ')} | holds at |`);
  lines.push(`| --- | ${runs.map(() => ':-:').join(' | ')} | --- |`);
  for (const t of report.tally) {
    const cells = runs.map((run) => mark(run.findings.find((f) => f.id === t.id)?.holds));
    const judged = t.holds + t.fails;
    lines.push(
      `| ${t.id}. ${t.title} | ${cells.join(' | ')} | ${judged === 0 ? 'not judged' : `${t.holds} of ${runs.length}${t.untestable > 0 ? ` (${judged} judged)` : ''}`} |`,
    );
  }
  lines.push('', '✓ holds, ✗ does not, — cannot be judged with this preset.', '');
  lines.push(`## Coefficient slopes pooled over the seeds (${percent(runs[0]?.confidence ?? 0.95)} t intervals)`, '');
  lines.push('Each seed has an intercept of its own; the slope is shared (per decade of RM parameters, or per unit of ln comparisons).', '');
  lines.push('| slope | estimate [interval] | paper | agrees | points | df | which fits |');
  lines.push('| --- | --- | :-: | :-: | --: | --: | --- |');
  for (const s of scaling.slopes) {
    const e = s.estimate;
    lines.push(
      `| ${SLOPE_LABELS[s.name]} | ${slopeCell(s)} | ${s.claimed === 'up' ? '> 0' : '< 0'} | ${mark(s.agrees)} | ${e?.points ?? 0} | ${e?.degreesOfFreedom ?? '—'} | ${s.where} |`,
    );
  }
  lines.push('', `Predicted best-of-n peaks at ${scaling.bonComparisons ?? '—'} comparisons, mean over every seed's fits of the size:`, '');
  lines.push('| RM size | d* | R* | fits with a peak |', '| --- | --: | --: | --: |');
  for (const p of scaling.peaks) lines.push(`| ${p.size} | ${fixed(p.d, 2)} | ${fixed(p.gold, 2)} | ${p.fits} |`);
  if (figure) lines.push('', `![Coefficients vs RM parameters, every seed](${COEFFICIENTS_FIGURE})`);
  lines.push(
    '',
    `Peaks rise with size: ${scaling.peaksRise === null ? 'cannot tell (fewer than two sizes, or a size without a peak)' : scaling.peaksRise ? 'yes' : 'no'}.`,
    '',
  );
  lines.push('## Each finding per seed', '');
  for (const t of report.tally) {
    lines.push(`### ${t.id}. ${t.title}`, '');
    for (const run of runs) {
      const finding = run.findings.find((f) => f.id === t.id);
      lines.push(`- **seed ${run.seed} ${mark(finding?.holds)}**: ${finding?.evidence ?? '(not in this run)'}`);
    }
    lines.push('');
  }
  lines.push(
    `Of the figures, only the coefficients are overlaid across seeds so far; each seed's own report (\`artifacts/<seed's preset>/fit/report/\`) has all of its figures.`,
    '',
  );
  return lines.join('\n');
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The report's numbers as JSON (seeds.json). */
export function crossSeedJson(report: CrossSeedReport, times: readonly SeedWallTime[] = []): unknown {
  return {
    preset: report.preset,
    seeds: report.runs.map((run) => ({
      seed: run.seed,
      preset: run.preset,
      seconds: times.find((t) => t.seed === run.seed)?.seconds ?? null,
      findings: run.findings,
    })),
    tally: report.tally,
    pooled: {
      bon_comparisons: report.scaling.bonComparisons,
      rl_comparisons: report.scaling.rlComparisons,
      slopes: report.scaling.slopes.map((s) => ({
        name: s.name,
        against: s.against,
        claimed: s.claimed,
        agrees: s.agrees,
        where: s.where,
        slope: s.estimate?.slope ?? null,
        low: s.estimate && Number.isFinite(s.estimate.low) ? s.estimate.low : null,
        high: s.estimate && Number.isFinite(s.estimate.high) ? s.estimate.high : null,
        points: s.estimate?.points ?? 0,
        degrees_of_freedom: s.estimate?.degreesOfFreedom ?? null,
      })),
      peaks: report.scaling.peaks.map((p) => ({
        size: p.size,
        parameters: p.parameters,
        d: Number.isFinite(p.d) ? p.d : null,
        gold: Number.isFinite(p.gold) ? p.gold : null,
        fits: p.fits,
      })),
      peaks_rise: report.scaling.peaksRise,
    },
  };
}

/**
 * Writes summary.md and seeds.json into `dir`, replacing an earlier report of the same seeds whole (written beside it,
 * then renamed), so a stopped write never leaves half a report.
 */
export async function writeCrossSeedReport(dir: string, report: CrossSeedReport, times: readonly SeedWallTime[] = []): Promise<string[]> {
  const staging = await makeTempSibling(dir);
  try {
    const spec = seedsCoefficientSpec(report.runs, report.scaling);
    if (spec) {
      await mkdir(join(staging, 'figures'));
      await writeFile(join(staging, COEFFICIENTS_FIGURE), `<?xml version="1.0" encoding="UTF-8"?>\n${(await renderSvg(spec)).svg}\n`);
    }
    await writeFile(join(staging, 'summary.md'), renderCrossSeedMarkdown(report, times, spec !== null));
    await writeFile(join(staging, 'seeds.json'), `${JSON.stringify(crossSeedJson(report, times), null, 2)}\n`);
    const old = await makeTempSibling(dir, '-old'); // an empty directory, which rename replaces
    await rename(dir, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(staging, dir);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return [join(dir, 'summary.md'), join(dir, 'seeds.json')];
}
