import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineMembers, openStage, readParquetFile, scoreSpread, stageOutputDir, standardiseMember, tableRows } from '@goodhart/core';
import { initEngine } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyAverage, runProxyCell } from '@goodhart/proxy';
import { bestOfNCurve } from '../src/estimator.ts';
import { bonScorers, runCurves, runPool, runScore } from '../src/stage.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
const PRESET = 'bs';
const members = ['tiny-n20-s0', 'tiny-n20-s1', 'tiny-n20-s2'];
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    c.proxy.grid = { sizes: ['tiny'], comparisons: [20], seeds: [0, 1, 2] };
    const ensemble = { kind: 'ensemble', members: { size: 'tiny', comparisons: 20, seeds: [0, 1, 2] } };
    c.sources = {
      'tiny-mean': { ...ensemble, objective: 'mean' },
      'tiny-wco': { ...ensemble, objective: 'worst' },
      'tiny-uwo': { ...ensemble, objective: 'uncertainty', lambda: 0.5 },
      'tiny-warm': { kind: 'weightAverage', members: ensemble.members },
    };
    delete c.ppo;
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
  for (const cell of members) await runProxyCell({ preset: PRESET, cell, backend: 'wasm', root, log: quiet });
  await runProxyAverage({ preset: PRESET, source: 'tiny-warm', backend: 'wasm', root, log: quiet });
  await runPool({ preset: PRESET, backend: 'wasm', root, log: quiet });
});

async function rows(entry: 'bonPool' | 'bonScore', file: string, unit?: string): Promise<Record<string, unknown>[]> {
  return tableRows(await readParquetFile((await openStage(root, PRESET, entry, unit)).file(file)));
}

describe('best-of-n of an ensemble', () => {
  it('scores the pool with the members and the weight average once each, and refuses to score it with an ensemble', async () => {
    const { loadPipeline } = await import('@goodhart/core');
    expect(bonScorers(loadPipeline(PRESET, root))).toEqual([...members, 'tiny-warm']);
    for (const cell of [...members, 'tiny-warm']) await runScore({ preset: PRESET, cell, backend: 'wasm', root });
    await expect(runScore({ preset: PRESET, cell: 'tiny-wco', backend: 'wasm', root })).rejects.toThrow(/not among the models that score the best-of-n pool/);
  });

  it("combines the members' existing scores without scoring again: the scorings are untouched and the curves read them", async () => {
    const scoresDir = join(stageOutputDir(root, PRESET, 'bonScore', members[0]), '..');
    const before = await Promise.all(members.map(async (cell) => readFile(join(scoresDir, cell, 'scores.parquet'))));
    const mtimes = await Promise.all(members.map(async (cell) => (await stat(join(scoresDir, cell, 'scores.parquet'))).mtimeMs));
    const { curves, outputDir } = await runCurves({ preset: PRESET, root });
    expect(await readdir(scoresDir)).toEqual([...members, 'tiny-warm']);
    for (const [i, cell] of members.entries()) {
      expect(await readFile(join(scoresDir, cell, 'scores.parquet'))).toEqual(before[i]);
      expect((await stat(join(scoresDir, cell, 'scores.parquet'))).mtimeMs).toBe(mtimes[i]);
    }
    expect(curves.map((c) => c.cell)).toEqual([...members, 'tiny-mean', 'tiny-wco', 'tiny-uwo', 'tiny-warm']);
    const manifest = JSON.parse(await readFile(join(outputDir, 'manifest.json'), 'utf8')) as { upstream: { stage: string; dir?: string }[] };
    // The pool, the three members' scorings and the weight average's: nothing scored for the ensembles.
    expect(manifest.upstream).toHaveLength(1 + members.length + 1);
    const table = tableRows(await readParquetFile(join(outputDir, 'curves.parquet')));
    expect(table.filter((r) => r.proxy === 'tiny-wco').every((r) => r.size === 'tiny' && r.comparisons === 20 && r.seed === -1)).toBe(true);
  });

  it('an ensemble curve is the estimator applied to the objective of the standardised members, per prompt', async () => {
    const { curves } = await runCurves({ preset: PRESET, root });
    const pool = await rows('bonPool', 'pool.parquet');
    const memberScores = await Promise.all(members.map(async (cell) => (await rows('bonScore', 'scores.parquet', cell)).map((r) => Number(r.proxy))));
    const standardised = memberScores.map((s) => standardiseMember(s, scoreSpread(s)));
    const prompts = [...new Set(pool.map((r) => Number(r.prompt_id)))];
    for (const [name, objective, lambda] of [
      ['tiny-mean', 'mean', 0],
      ['tiny-wco', 'worst', 0],
      ['tiny-uwo', 'uncertainty', 0.5],
    ] as const) {
      const combined = combineMembers(objective, standardised, lambda);
      const curve = curves.find((c) => c.cell === name)!;
      const ns = curve.points.map((p) => p.n);
      const expected = ns.map((_, j) => {
        let sum = 0;
        for (const prompt of prompts) {
          const at = pool.flatMap((r, i) => (Number(r.prompt_id) === prompt ? [i] : []));
          sum += bestOfNCurve(
            at.map((i) => combined[i]),
            at.map((i) => Number(pool[i].gold)),
            ns,
          )[j].gold;
        }
        return sum / prompts.length;
      });
      curve.points.forEach((p, j) => expect(p.gold.mean).toBeCloseTo(expected[j], 12));
    }
  });
});
