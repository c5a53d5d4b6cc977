import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, openStage, openStageOutput, readParquetFile, tableRows } from '@goodhart/core';
import { initEngine } from '@goodhart/model';
import { runPretrain } from '@goodhart/pretrain';
import { runLabel, type LabelSummary } from '../src/stage.ts';
import { HumanLabeller } from '@goodhart/gold';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
let root: string;
let summary: LabelSummary;

beforeAll(async () => {
  await initEngine();
  root = await tempWorkspace([await testPreset('lab')]);
  await runPretrain({ preset: 'lab', backend: 'wasm', root, log: quiet });
  summary = await runLabel({ preset: 'lab', backend: 'wasm', root, log: quiet });
});

describe('label stage on the test preset', () => {
  it('records the pretrain manifest it read', async () => {
    const pretrain = await openStage(root, 'lab', 'pretrain');
    expect(summary.manifest.upstream).toEqual([pretrain.ref()]);
  });

  it('writes gold in units where the initial policy has mean 0 and standard deviation 1', async () => {
    const output = await openStageOutput(summary.outputDir, 'label');
    const samples = tableRows(await readParquetFile(output.file('samples.parquet')));
    expect(samples).toHaveLength(24 * 4);
    const gold = samples.map((s) => Number(s.gold));
    const mean = gold.reduce((a, b) => a + b, 0) / gold.length;
    const sd = Math.sqrt(gold.reduce((a, b) => a + (b - mean) ** 2, 0) / gold.length);
    expect(mean).toBeCloseTo(0, 10);
    expect(sd).toBeCloseTo(1, 10);
    const info = JSON.parse(await readFile(output.file('gold.json'), 'utf8')) as { normalisation: { mean: number; std: number } };
    // With gold.kind "lexicon", gold_raw is the human labeller applied to the decoded response text, and the
    // human columns equal the gold ones.
    const scorer = new HumanLabeller(loadPipeline('lab', root).gold);
    for (const s of samples.slice(0, 10)) expect(scorer.score(String(s.response))).toBeCloseTo(Number(s.gold_raw), 12);
    for (const s of samples) {
      expect(Number(s.human_raw)).toBe(Number(s.gold_raw));
      expect(Number(s.human)).toBe(Number(s.gold));
    }
    for (const s of samples) expect((Number(s.gold_raw) - info.normalisation.mean) / info.normalisation.std).toBeCloseTo(Number(s.gold), 10);
  });

  it('keeps validation prompts, training prompts and evaluation prompts apart', async () => {
    const output = await openStageOutput(summary.outputDir, 'label');
    const comparisons = tableRows(await readParquetFile(output.file('comparisons.parquet')));
    const trainPrompts = new Set(comparisons.filter((c) => c.split === 'train').map((c) => c.prompt_id));
    const validationPrompts = new Set(comparisons.filter((c) => c.split === 'validation').map((c) => c.prompt_id));
    expect(trainPrompts.size).toBeGreaterThan(0);
    expect(validationPrompts.size).toBeGreaterThan(0);
    for (const id of validationPrompts) expect(trainPrompts.has(id)).toBe(false);
    const evalPrompts = tableRows(await readParquetFile(output.file('eval_prompts.parquet'))).map((p) => p.prompt_id);
    expect(evalPrompts).toHaveLength(8);
    for (const id of evalPrompts) expect(trainPrompts.has(id) || validationPrompts.has(id)).toBe(false);
    for (const c of comparisons) {
      expect(Number(c.gold_preferred)).toBe(Number(c.gold_a) > Number(c.gold_b) ? 0 : 1);
      expect(Number(c.preferred)).toBe(Number(c.gold_preferred)); // labelNoise is 0 in this preset
    }
    expect(summary.comparisons.train + summary.comparisons.validation).toBe(comparisons.length);
  });

  it('gives byte-identical artifacts when rerun with the same config', async () => {
    const again = await runLabel({ preset: 'lab', backend: 'wasm', root, log: quiet });
    expect(again.manifest.files).toEqual(summary.manifest.files);
  });
});
