import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFindings } from '../src/findings.ts';
import { klEstimatorRows } from '../src/report/kl-estimators-table.ts';
import { writeReport } from '../src/report/write-report.ts';
import type { Interval, RlCurve } from '../src/types.ts';
import { makeFixture } from './fixtures.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const at = (mean: number, width: number): Interval => ({ mean, low: mean - width / 2, high: mean + width / 2 });
const zero = at(0, 0);

/**
 * Two evaluations after the initial one: means (k1 −0.05, 2.1; exact 0.45, 2; k2 1.1× exact), widths (k1 0.4, 0.8;
 * exact 0.1, 0.3), k1 negative in 25% then 5% of samples; the first evaluation's mean k1 is below 0.
 */
function run(): RlCurve {
  const { input } = makeFixture();
  const base = input.rl[0]!;
  const point = (step: number, k1: Interval, exact: Interval, k1Negative: number): RlCurve['points'][number] => ({
    ...base.points[0]!,
    step,
    kl: exact,
    klEstimators: { k1, k2: at(exact.mean * 1.1, 0.2), k3: at(exact.mean, 0.2), exact },
    k1Negative,
  });
  return {
    ...base,
    run: 'r',
    points: [point(0, zero, zero, 0), point(10, at(-0.05, 0.4), at(0.45, 0.1), 0.25), point(20, at(2.1, 0.8), at(2, 0.3), 0.05)],
  };
}

describe('the KL estimators table', () => {
  it('one row per estimator: the last evaluation with its interval, the mean width after the first evaluation, k1 < 0 for k1 only', () => {
    const rows = klEstimatorRows([run()]);
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      ['r', 'k1 = Σ log π/π_init'],
      ['r', 'k2 = Σ ½ (log π/π_init)²'],
      ['r', 'k3 = Σ (r − 1) − log r'],
      ['r', 'exact per-token'],
    ]);
    // Ratios of means over the evaluations after the first: k1 (−0.05 + 2.1) / (0.45 + 2), k2 1.1.
    expect(rows[0]!.slice(2)).toEqual(['2.100 [1.700, 2.500]', '0.84', '0.600', '3.00', '15.0%', '1 of 2']);
    expect(rows[1]!.slice(2)).toEqual(['2.200 [2.100, 2.300]', '1.10', '0.200', '1.00', '', '']);
    expect(rows[3]!.slice(2)).toEqual(['2.000 [1.850, 2.150]', '1.00', '0.200', '1.00', '', '']);
  });

  it('summary.md and index.html carry the table, and say so when there are no PPO runs', async () => {
    for (const rl of [true, false]) {
      const { input, results } = makeFixture({ rl });
      const dir = await mkdtemp(join(tmpdir(), 'goodhart-kl-table-'));
      dirs.push(dir);
      await writeReport(dir, input, results, computeFindings(input, results));
      const summary = await readFile(join(dir, 'summary.md'), 'utf8');
      const html = await readFile(join(dir, 'index.html'), 'utf8');
      expect(summary).toContain('## KL every way');
      expect(html).toContain('<section id="kl-estimators">');
      if (rl) {
        expect(summary).toMatch(
          /^\| run \| estimator \| at the last evaluation \[low, high\] \| mean ÷ exact’s \| mean interval width \| width ÷ exact’s \| samples with k1 &lt; 0 \| evaluations with mean k1 &lt; 0 \|$/m,
        );
        expect(summary.split('\n').filter((line) => line.includes('| exact per-token |'))).toHaveLength(input.rl.length);
        expect(html).toContain('<table id="kl-estimators-table" class="data">');
      } else {
        expect(summary).toContain('No PPO runs.');
        expect(html).not.toContain('kl-estimators-table');
      }
    }
  });
});
