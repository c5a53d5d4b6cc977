import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RewardSource } from '@goodhart/core';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFindings } from '../src/findings.ts';
import { analyseRewardSources, checkRewardSources, SOURCES_FINDING_TITLE } from '../src/findings/reward-sources.ts';
import { NO_SOURCES_NOTE } from '../src/report/figures/reward-sources.ts';
import { writeReport } from '../src/report/write-report.ts';
import type { BonCurve, FitInput, Interval, RlCurve, SourceCurve, SourceRun } from '../src/types.ts';
import { makeFixture } from './fixtures.ts';

/**
 * Finding 10 on hand-built sources over the fixture's m-n8000 cells (seeds 0–2): an ensemble whose gold at every
 * prompt is the best member's (it must beat the members' mean), a weight average whose gold is the members' mean (it
 * must not), and PPO runs where the single member's penalised gold falls and the source's does not.
 */
const SEEDS = [0, 1, 2];
const MEMBERS = { size: 'm', comparisons: 8000, seeds: SEEDS };
const DECLARED: Record<string, RewardSource> = {
  'm-n8000-wco': { kind: 'ensemble', members: MEMBERS, objective: 'worst' },
  'm-n8000-warm': { kind: 'weightAverage', members: MEMBERS },
};
const CELLS = SEEDS.map((s) => `m-n8000-s${s}`);

function intervalOf(values: Float64Array): Interval {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, low: mean - 0.01, high: mean + 0.01 };
}

/** A source's best-of-n curve whose per-prompt gold combines the members' per-prompt gold. */
function combined(name: string, members: readonly BonCurve[], combine: (values: number[]) => number): SourceCurve {
  const source = DECLARED[name]!;
  const perPromptGold = members[0]!.perPromptGold.map((row, j) => Float64Array.from(row, (_, p) => combine(members.map((m) => m.perPromptGold[j]![p]!))));
  return {
    name,
    kind: source.kind,
    objective: source.kind === 'ensemble' ? source.objective : '',
    members: CELLS,
    points: members[0]!.points.map((pt, j) => ({ x: pt.n, d: pt.d, gold: intervalOf(perPromptGold[j]!), proxy: pt.proxy })),
    perPromptGold,
  };
}

/** A run's per-prompt gold reshaped: `shape(j)` is the gold's mean at evaluation j, the prompt effects kept. */
function reshaped(run: RlCurve, shape: (j: number, last: number) => number): Pick<RlCurve, 'points' | 'perPromptGold'> {
  const last = run.points.length - 1;
  const perPromptGold = run.perPromptGold.map((row, j) => Float64Array.from(row, (v, p) => shape(j, last) + 0.05 * (v - run.perPromptGold[0]![p]!)));
  return { points: run.points.map((pt, j) => ({ ...pt, gold: intervalOf(perPromptGold[j]!) })), perPromptGold };
}

function sourcesFixture(): FitInput {
  const { input } = makeFixture({ seeds: SEEDS });
  const members = CELLS.map((cell) => input.bon.find((c) => c.proxy.cell === cell)!);
  const penalised = input.rl.find((r) => r.klCoefficient > 0)!;
  // The single member's penalised run rises to the middle and falls back; the source's keeps rising.
  const falling = reshaped(penalised, (j, last) => 0.6 * (1 - Math.abs(j - last / 2) / (last / 2)));
  const rising = reshaped(penalised, (j, last) => (0.6 * j) / last);
  const sourceRun: SourceRun = {
    name: 'm-n8000-wco',
    kind: 'ensemble',
    objective: 'worst',
    members: CELLS,
    run: `m-n8000-wco-kl${penalised.klCoefficient}-${penalised.policy.size}`,
    policy: penalised.policy.size,
    klCoefficient: penalised.klCoefficient,
    points: rising.points.map((pt) => ({ x: pt.step, d: pt.d, gold: pt.gold, proxy: pt.proxy })),
    perPromptGold: rising.perPromptGold,
  };
  return {
    ...input,
    rl: input.rl.map((r) => (r === penalised ? { ...r, ...falling } : r)),
    sources: {
      declared: DECLARED,
      bon: [combined('m-n8000-wco', members, (v) => Math.max(...v)), combined('m-n8000-warm', members, (v) => v.reduce((a, b) => a + b, 0) / v.length)],
      rl: [sourceRun],
    },
  };
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('finding 10: reward sources', () => {
  it('finds the best-member ensemble above its members at the largest n, and the mean-member average not', () => {
    const analysis = analyseRewardSources(sourcesFixture())!;
    const wco = analysis.bon.find((r) => r.source === 'm-n8000-wco')!;
    const warm = analysis.bon.find((r) => r.source === 'm-n8000-warm')!;
    expect(wco.n).toBe(4096);
    expect(wco.gain.low).toBeGreaterThan(0);
    expect(wco.membersBeaten).toBe(3);
    expect(wco.gold.mean - wco.membersGold.mean).toBeCloseTo(wco.gain.mean, 12);
    // The members' mean reproduced exactly: no gain, an interval of width 0 around it.
    expect(warm.gain.mean).toBeCloseTo(0, 12);
    expect(warm.gain.low).toBeLessThanOrEqual(0);
    expect(analysis.skipped).toEqual([]);
  });

  it('gives no share of a gain the members do not make', () => {
    const input = sourcesFixture();
    const analysis = analyseRewardSources(input)!;
    for (const r of analysis.bon) {
      if (r.membersGain.low > 0) expect(r.relative!.mean).toBeCloseTo(r.gain.mean / r.membersGain.mean, 12);
      else expect(r.relative).toBeNull();
    }
  });

  it('judges the penalised source run against the single member run at the same β_KL and policy', () => {
    const input = sourcesFixture();
    const analysis = analyseRewardSources(input)!;
    const source = analysis.rl.find((r) => r.kind === 'ensemble')!;
    const single = analysis.rl.find((r) => r.kind === 'cell' && r.klCoefficient === source.klCoefficient)!;
    expect(single.falls).toBe(true);
    expect(source.falls).toBe(false);
    expect(source.peakIteration).toBe(input.sources!.rl[0]!.points.at(-1)!.x);
    const check = checkRewardSources(input, analysis);
    // The weight average does not raise best-of-n gold, so the finding fails although the RL half holds.
    expect(check.holds).toBe(false);
    expect(check.numbers.rl1_run).toBe(source.run);
    expect(check.numbers.rl1_single_run).toBe(single.run);
    expect(check.numbers.sources_raising_gold).toBe(1);
  });

  it('holds when every source raises gold and the source run does not fall where the member run does', () => {
    const input = sourcesFixture();
    const sources = { ...input.sources!, bon: input.sources!.bon.filter((c) => c.name === 'm-n8000-wco') };
    const findings = computeFindings({ ...input, sources }, makeFixture({ seeds: SEEDS }).results);
    expect(findings).toHaveLength(10);
    expect(findings[9]).toMatchObject({ id: 10, title: SOURCES_FINDING_TITLE, holds: true, seeds: null });
  });

  it('leaves the paper’s eight findings alone and adds none when no sources are declared', () => {
    const { input, results } = makeFixture({ seeds: SEEDS });
    expect(analyseRewardSources(input)).toBeNull();
    expect(computeFindings(input, results)).toHaveLength(9);
  });

  it('draws both source figures without Vega warnings, and says once when none are declared', async () => {
    const { input, results } = makeFixture({ seeds: SEEDS });
    const withSources = sourcesFixture();
    const dir = await mkdtemp(join(tmpdir(), 'goodhart-sources-'));
    const bare = await mkdtemp(join(tmpdir(), 'goodhart-sources-'));
    dirs.push(dir, bare);
    const written = await writeReport(dir, withSources, results, computeFindings(withSources, results));
    expect(written.warnings).toEqual([]);
    expect(await readdir(join(dir, 'figures'))).toEqual(expect.arrayContaining(['sources-bon.svg', 'sources-rl.svg']));
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).not.toContain(NO_SOURCES_NOTE);

    await writeReport(bare, input, results, computeFindings(input, results));
    expect((await readdir(join(bare, 'figures'))).filter((f) => f.startsWith('sources-'))).toEqual([]);
    const count = (text: string, needle: string): number => text.split(needle).length - 1;
    expect(count(await readFile(join(bare, 'summary.md'), 'utf8'), NO_SOURCES_NOTE)).toBe(1);
    expect(count(await readFile(join(bare, 'index.html'), 'utf8'), 'declares no reward sources')).toBe(1);
  });
});
