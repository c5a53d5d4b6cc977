import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, openStage, openStageOutput, readParquetFile, stageOutputDir, tableRows, type StageOutput } from '@goodhart/core';
import { runCurves, runPool, runScore } from '@goodhart/bon';
import { HumanLabeller, openGoldRewardModel, openHumanReader } from '@goodhart/gold';
import { runGoldRm } from '@goodhart/gold-rm';
import { runLabel } from '@goodhart/label';
import { initEngine, scoreSequences, type Model } from '@goodhart/model';
import { runDir, runPpoRun } from '@goodhart/ppo';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyCell } from '@goodhart/proxy';
import { useModelGold } from './support/gold-model.ts';
import { tempWorkspace, testPreset } from './support/workspace.ts';

/**
 * Real runs of every stage that scores with the gold, on the tiny test preset with a model gold: label labels the
 * proxies' comparisons with the gold RM, best-of-n and PPO are measured by it, and each carries the human's score of
 * the same samples beside it.
 */
const quiet = (): void => {};
const PRESET = 'mg';
const CELL = 'tiny-n20-s0';
const RUN = `${CELL}-kl0-small`;
let root: string;
let goldRm: StageOutput;
let gold: Model;
let human: HumanLabeller;
let promptTokens: Map<number, number[]>;

const tokensOf = (value: unknown): number[] => Array.from(value as Iterable<number>);
const goldOf = (promptId: number, response: number[]): number => scoreSequences(gold, [[...promptTokens.get(promptId)!, ...response]], 1)[0];
/** The human's raw score of a row with prompt_id, response and response_tokens: lexicon terms and the reader's fluency. */
const humanOf = (s: Record<string, unknown>): number =>
  human.score(String(s.response), { promptTokens: promptTokens.get(Number(s.prompt_id))!, responseTokens: tokensOf(s.response_tokens) });

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (config) => {
    useModelGold(config);
    config.bon.proxies = [CELL];
    Object.assign(config.ppo, { iterations: 2, checkpointEvery: 2 });
  });
  root = await tempWorkspace([preset]);
  const options = { preset: PRESET, backend: 'wasm' as const, root, log: quiet };
  await runPretrain(options);
  await runGoldRm(options);
  await runLabel(options);
  await runProxyCell({ ...options, cell: CELL });
  await runPool(options);
  await runScore({ ...options, cell: CELL });
  await runCurves({ preset: PRESET, root });
  await runPpoRun({ ...options, run: RUN });
  goldRm = await openStage(root, PRESET, 'goldRm');
  gold = await (await openGoldRewardModel(root, PRESET)).load();
  const config = loadPipeline(PRESET, root);
  human = new HumanLabeller(config.gold, await openHumanReader(root, config));
  const prompts = tableRows(await readParquetFile(join(stageOutputDir(root, PRESET, 'pretrain'), 'prompts.parquet')));
  promptTokens = new Map(prompts.map((p) => [Number(p.prompt_id), tokensOf(p.tokens)]));
}, 600_000);

describe('stages with a model gold (test preset, tiny gold RM)', () => {
  it('label scores with the gold RM, normalises gold and human, and labels comparisons by the gold', async () => {
    const label = await openStage(root, PRESET, 'label');
    expect(label.manifest.upstream).toContainEqual(goldRm.ref());
    const samples = tableRows(await readParquetFile(label.file('samples.parquet')));
    for (const s of samples.slice(0, 12)) {
      expect(Number(s.gold_raw)).toBeCloseTo(goldOf(Number(s.prompt_id), tokensOf(s.response_tokens)), 4);
      expect(Number(s.human_raw)).toBe(humanOf(s));
    }
    const info = JSON.parse(await readFile(label.file('gold.json'), 'utf8')) as {
      kind: string;
      normalisation: { mean: number; std: number };
      humanNormalisation: { mean: number; std: number };
    };
    expect(info.kind).toBe('model');
    for (const s of samples) {
      expect(Number(s.gold)).toBeCloseTo((Number(s.gold_raw) - info.normalisation.mean) / info.normalisation.std, 10);
      expect(Number(s.human)).toBeCloseTo((Number(s.human_raw) - info.humanNormalisation.mean) / info.humanNormalisation.std, 10);
    }
    const comparisons = tableRows(await readParquetFile(label.file('comparisons.parquet')));
    for (const c of comparisons) {
      expect(Number(c.gold_preferred)).toBe(Number(c.gold_a) > Number(c.gold_b) ? 0 : 1);
      expect(Number(c.human_preferred)).toBe(Number(c.human_a) === Number(c.human_b) ? -1 : Number(c.human_a) > Number(c.human_b) ? 0 : 1);
    }
  });

  it('the proxy reports its held-out accuracy against the gold and against the human', async () => {
    const cell = await openStage(root, PRESET, 'proxyCell', CELL);
    const [metrics] = tableRows(await readParquetFile(cell.file('metrics.parquet')));
    for (const key of ['validation_gold_accuracy', 'validation_human_accuracy']) {
      expect(Number(metrics[key])).toBeGreaterThanOrEqual(0);
      expect(Number(metrics[key])).toBeLessThanOrEqual(1);
    }
  });

  it('best-of-n scores its pool with the gold RM and reports the human score of the chosen samples beside the gold', async () => {
    const pool = await openStage(root, PRESET, 'bonPool');
    expect(pool.manifest.upstream).toContainEqual(goldRm.ref());
    const rows = tableRows(await readParquetFile(pool.file('pool.parquet')));
    for (const s of rows.slice(0, 12)) {
      expect(Number(s.gold_raw)).toBeCloseTo(goldOf(Number(s.prompt_id), tokensOf(s.response_tokens)), 4);
      expect(Number(s.human_raw)).toBe(humanOf(s));
    }
    const curves = await openStage(root, PRESET, 'bonCurves');
    const points = tableRows(await readParquetFile(curves.file('curves.parquet')));
    // At n = 1 the best of n is a uniform draw: its human score is the pool's mean human score (by prompt, averaged).
    const first = points.find((p) => Number(p.n) === 1)!;
    const byPrompt = new Map<number, number[]>();
    for (const s of rows) byPrompt.set(Number(s.prompt_id), [...(byPrompt.get(Number(s.prompt_id)) ?? []), Number(s.human)]);
    const expected = [...byPrompt.values()].reduce((a, v) => a + v.reduce((x, y) => x + y, 0) / v.length, 0) / byPrompt.size;
    expect(Number(first.human)).toBeCloseTo(expected, 10);
    for (const p of points) {
      expect(Number(p.human_low)).toBeLessThanOrEqual(Number(p.human));
      expect(Number(p.human_high)).toBeGreaterThanOrEqual(Number(p.human));
    }
    // The gold and human columns differ: the gold is the RM, not the human.
    expect(points.some((p) => Math.abs(Number(p.gold) - Number(p.human)) > 1e-6)).toBe(true);
  });

  it('PPO is measured by the gold RM, with the human score of the same samples beside it', async () => {
    const run = await openStageOutput(runDir(root, PRESET, RUN), 'ppo');
    expect(run.manifest.upstream).toContainEqual(goldRm.ref());
    const label = await openStage(root, PRESET, 'label');
    const info = JSON.parse(await readFile(label.file('gold.json'), 'utf8')) as {
      normalisation: { mean: number; std: number };
      humanNormalisation: { mean: number; std: number };
    };
    const samples = tableRows(await readParquetFile(run.file('eval_samples.parquet')));
    for (const s of samples.slice(0, 8)) {
      const raw = goldOf(Number(s.prompt_id), tokensOf(s.response_tokens));
      expect(Number(s.gold)).toBeCloseTo((raw - info.normalisation.mean) / info.normalisation.std, 3);
      expect(Number(s.human)).toBeCloseTo((humanOf(s) - info.humanNormalisation.mean) / info.humanNormalisation.std, 10);
    }
    const curve = tableRows(await readParquetFile(run.file('curve.parquet')));
    for (const point of curve) {
      const step = samples.filter((s) => Number(s.step) === Number(point.step));
      const byPrompt = new Map<number, number[]>();
      for (const s of step) byPrompt.set(Number(s.prompt_id), [...(byPrompt.get(Number(s.prompt_id)) ?? []), Number(s.human)]);
      const mean = [...byPrompt.values()].reduce((a, v) => a + v.reduce((x, y) => x + y, 0) / v.length, 0) / byPrompt.size;
      expect(Number(point.human)).toBeCloseTo(mean, 10);
    }
  });

  it('gives byte-identical label artifacts when rerun with the same config', async () => {
    const before = await openStage(root, PRESET, 'label');
    const again = await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
    expect(again.manifest.files).toEqual(before.manifest.files);
  });
});
