import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFindings, fitAll, writeReport } from '../src/index.ts';
import { makeFixture } from './fixtures.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Issue 12: one degenerate curve used to abort the whole fit stage after every other task had run. The fitting
 * library, the findings and the report must all carry on and say which curve could not be fitted and why.
 */
describe('a preset with degenerate curves', () => {
  it('fits the rest, judges the findings and writes a report that lists the unfitted curves', async () => {
    const { input } = makeFixture({ policySizes: 2 });
    // PPO run whose only positive-KL point is one.
    const run = input.rl[0]!;
    run.perPromptKl = run.perPromptKl.map((row, j) => row.map(() => (j === 1 ? 0.5 : 0)));
    run.points = run.points.map((p, j) => ({ ...p, d: j === 1 ? Math.sqrt(0.5) : 0, kl: { mean: j === 1 ? 0.5 : 0, low: 0, high: 0 } }));
    // A best-of-n curve on a one-entry n grid.
    const curve = input.bon[0]!;
    curve.points = curve.points.slice(0, 1);
    curve.perPromptGold = curve.perPromptGold.slice(0, 1);

    const results = fitAll(input);
    expect(results.unfitted.map((u) => `${u.method} ${u.curve}`)).toEqual([`bon ${curve.proxy.cell}`, `rl ${run.run}`]);
    const findings = computeFindings(input, results);
    expect(findings).toHaveLength(9);

    const dir = await mkdtemp(join(tmpdir(), 'goodhart-degenerate-'));
    dirs.push(dir);
    await writeReport(dir, input, results, findings);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('Curves that could not be fitted');
    expect(html).toContain('fitRl: needs at least 2 points with d &gt; 1e-12, got 1');
    const summary = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(summary).toContain(`| ${curve.proxy.cell} | BoN |`);
  });
});
