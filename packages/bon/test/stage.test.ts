import { beforeAll, describe, expect, it } from 'vitest';
import { openStage, readParquetFile, tableRows } from '@goodhart/core';
import { initEngine } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyCell } from '@goodhart/proxy';
import { bestOfNCurve } from '../src/estimator.ts';
import { runCurves, runPool, runScore } from '../src/stage.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
let root: string;
const cells = ['tiny-n20-s0', 'small-n60-s0'];

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset('bn', (c) => {
    (c.bon as Record<string, unknown>).proxies = cells;
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: 'bn', backend: 'wasm', root, log: quiet });
  await runLabel({ preset: 'bn', backend: 'wasm', root, log: quiet });
  for (const cell of cells) await runProxyCell({ preset: 'bn', cell, backend: 'wasm', root, log: quiet });
  await runPool({ preset: 'bn', backend: 'wasm', root, log: quiet });
  for (const cell of cells) await runScore({ preset: 'bn', cell, backend: 'wasm', root });
});

describe('bon stage on the test preset', () => {
  it('samples N responses for each evaluation prompt, gold in the label stage’s units', async () => {
    const pool = tableRows(await readParquetFile((await openStage(root, 'bn', 'bonPool')).file('pool.parquet')));
    expect(pool).toHaveLength(4 * 40);
    const label = await openStage(root, 'bn', 'label');
    const evalPrompts = new Set(tableRows(await readParquetFile(label.file('eval_prompts.parquet'))).map((p) => p.prompt_id));
    for (const row of pool) expect(evalPrompts.has(row.prompt_id)).toBe(true);
  });

  it('curves equal the estimator applied per prompt and averaged, with n on the 1-2-5 grid up to N', async () => {
    const { curves } = await runCurves({ preset: 'bn', root });
    expect(curves.map((c) => c.cell)).toEqual(cells);
    const pool = tableRows(await readParquetFile((await openStage(root, 'bn', 'bonPool')).file('pool.parquet')));
    const scores = tableRows(await readParquetFile((await openStage(root, 'bn', 'bonScore', cells[0])).file('scores.parquet')));
    const ns = [1, 2, 5, 10, 20, 40];
    expect(curves[0].points.map((p) => p.n)).toEqual(ns);
    const prompts = [...new Set(pool.map((r) => Number(r.prompt_id)))];
    const expected = ns.map((_, j) => {
      let sum = 0;
      for (const prompt of prompts) {
        const rows = pool.map((r, i) => ({ r, i })).filter(({ r }) => Number(r.prompt_id) === prompt);
        const curve = bestOfNCurve(
          rows.map(({ i }) => Number(scores[i].proxy)),
          rows.map(({ r }) => Number(r.gold)),
          ns,
        );
        sum += curve[j].gold;
      }
      return sum / prompts.length;
    });
    curves[0].points.forEach((p, j) => {
      expect(p.gold.mean).toBeCloseTo(expected[j], 12);
      expect(p.gold.low).toBeLessThanOrEqual(p.gold.mean);
      expect(p.gold.high).toBeGreaterThanOrEqual(p.gold.mean);
      expect(p.kl).toBeCloseTo(Math.log(p.n) - (p.n - 1) / p.n, 12);
    });
  });

  it('refuses to score with a proxy that is not among bon.proxies', async () => {
    await expect(runScore({ preset: 'bn', cell: 'small-n20-s0', backend: 'wasm', root })).rejects.toThrow(
      /"small-n20-s0" is not among the models that score the best-of-n pool: tiny-n20-s0, small-n60-s0/,
    );
  });
});
