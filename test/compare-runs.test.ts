import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromColumns, writeParquetFile } from '@goodhart/core';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'compare-runs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A finished run's artifacts, reduced to what compare reads; `shift` moves every gold mean (not its interval). */
async function fakeRun(name: string, options: { accuracy: number; shift: (n: number) => number; holds: boolean }): Promise<string> {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'proxy/summary'), { recursive: true });
  mkdirSync(join(dir, 'bon/curves'), { recursive: true });
  mkdirSync(join(dir, 'ppo/runs/xs-n20-s0-kl0-m'), { recursive: true });
  mkdirSync(join(dir, 'fit/report'), { recursive: true });
  await writeParquetFile(
    join(dir, 'proxy/summary/proxy_metrics.parquet'),
    tableFromColumns({ cell: { type: 'utf8', values: ['xs-n20-s0'] }, validation_accuracy: { type: 'float64', values: [options.accuracy] } }),
  );
  const ns = [1, 2, 4, 8];
  const gold = ns.map((n) => 0.1 * Math.log2(n) + options.shift(n));
  await writeParquetFile(
    join(dir, 'bon/curves/curves.parquet'),
    tableFromColumns({
      proxy: { type: 'utf8', values: ns.map(() => 'xs-n20-s0') },
      n: { type: 'int32', values: ns },
      gold: { type: 'float64', values: gold },
      gold_low: { type: 'float64', values: gold.map((g) => g - 0.05) },
      gold_high: { type: 'float64', values: gold.map((g) => g + 0.05) },
    }),
  );
  const steps = [0, 5, 10];
  await writeParquetFile(
    join(dir, 'ppo/runs/xs-n20-s0-kl0-m/curve.parquet'),
    tableFromColumns({
      step: { type: 'int32', values: steps },
      gold: { type: 'float64', values: steps.map((s) => s / 100) },
      gold_low: { type: 'float64', values: steps.map((s) => s / 100 - 0.05) },
      gold_high: { type: 'float64', values: steps.map((s) => s / 100 + 0.05) },
      kl: { type: 'float64', values: steps.map((s) => s) },
      kl_low: { type: 'float64', values: steps.map((s) => s - 1) },
      kl_high: { type: 'float64', values: steps.map((s) => s + 1) },
    }),
  );
  writeFileSync(
    join(dir, 'fit/report/findings.json'),
    JSON.stringify([
      { id: 1, holds: options.holds },
      { id: 5, holds: null },
    ]),
  );
  return dir;
}

describe('npm run compare', () => {
  it('counts the points where each run lies inside the other interval, and the accuracy gaps in points', async () => {
    const a = await fakeRun('a', { accuracy: 0.7, shift: () => 0, holds: true });
    // n = 8 moves by 0.08: outside both intervals (half-width 0.05); n = 4 by 0.03: inside.
    const b = await fakeRun('b', { accuracy: 0.715, shift: (n) => (n === 8 ? 0.08 : n === 4 ? 0.03 : 0), holds: false });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'scripts/compare-runs.ts'), a, b, '--json'], { cwd: root });
    const result = JSON.parse(stdout);
    expect(result.bon).toMatchObject({ points: 4, inside: 3 });
    expect(result.bon.outside[0]).toMatch(/^bon xs-n20-s0 n=8: /);
    expect(result.rlGold).toMatchObject({ points: 3, inside: 3 });
    expect(result.rlKl).toMatchObject({ points: 2, inside: 2 }); // step 0 left out: KL is 0 there by construction
    expect(result.largestAccuracyGapPoints).toBeCloseTo(1.5, 10);
    expect(result.accuracyWithinOnePoint).toBe(0);
    expect(result.findings).toEqual({ a: '1 ✓  5 —', b: '1 ✗  5 —' });
  });

  it('refuses runs whose points differ, naming them', async () => {
    const a = await fakeRun('c', { accuracy: 0.7, shift: () => 0, holds: true });
    const b = join(scratch, 'd');
    await fakeRun('d', { accuracy: 0.7, shift: () => 0, holds: true });
    await writeParquetFile(
      join(b, 'bon/curves/curves.parquet'),
      tableFromColumns({
        proxy: { type: 'utf8', values: ['xs-n20-s0'] },
        n: { type: 'int32', values: [1] },
        gold: { type: 'float64', values: [0] },
        gold_low: { type: 'float64', values: [0] },
        gold_high: { type: 'float64', values: [0] },
      }),
    );
    const failed = await run(process.execPath, ['--import', 'tsx', join(root, 'scripts/compare-runs.ts'), a, b], { cwd: root }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/best-of-n gold: the runs have different points \(only in A: bon xs-n20-s0 n=2/);
  });
});
