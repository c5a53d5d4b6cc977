import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, openStageOutput, readParquetFile, tableRows, workspaceRoot, type Manifest } from '@goodhart/core';
import { initEngine, loadCheckpoint } from '@goodhart/model';
import { BpeTokenizer } from '@goodhart/model';
import { loadBrownCorpus } from '../src/corpus.ts';
import { evenlySpacedWindows, tokenStream } from '../src/dataset.ts';
import { runPretrain, type PretrainSummary } from '../src/stage.ts';
import { evaluateLoss } from '../src/train.ts';

// Runs the real stage on the `test` preset twice, into artifacts/test/pretrain (git-ignored).
const root = workspaceRoot();
const quiet = (): void => {};
let first: PretrainSummary;
let firstManifest: Manifest;

beforeAll(async () => {
  await initEngine();
  first = await runPretrain({ preset: 'test', backend: 'wasm', root, log: quiet });
  firstManifest = first.manifest;
});

describe('pretrain stage on the test preset', () => {
  it('writes every artifact, listed with hashes and row counts in the manifest', () => {
    const files = new Map(firstManifest.files.map((f) => [f.path, f]));
    for (const path of ['tokenizer.json', 'prompts.parquet', 'corpus.json', 'loss_curve.parquet', 'summary.parquet']) {
      expect(files.has(path), path).toBe(true);
    }
    for (const size of ['tiny', 'small']) {
      expect(files.has(`models/${size}/model.safetensors`)).toBe(true);
      expect(files.has(`models/${size}/model.json`)).toBe(true);
    }
    expect(files.get('prompts.parquet')?.rows).toBe(40);
    expect(firstManifest.stage).toBe('pretrain');
    expect(Object.keys(firstManifest.config as object).sort()).toEqual(['compute', 'corpus', 'models', 'pretrain', 'prompts', 'seed', 'tokenizer']);
  });

  it('takes prompts only from held-out documents', async () => {
    const output = await openStageOutput(first.outputDir, 'pretrain');
    const corpus = JSON.parse(await readFile(output.file('corpus.json'), 'utf8')) as { validationDocuments: string[] };
    const prompts = tableRows(await readParquetFile(output.file('prompts.parquet')));
    const held = new Set(corpus.validationDocuments);
    for (const prompt of prompts) expect(held.has(prompt.document as string)).toBe(true);
    const config = loadPipeline('test', root);
    for (const prompt of prompts) {
      const words = (prompt.text as string).split(' ').length;
      expect(words).toBeGreaterThanOrEqual(config.prompts.minWords);
      expect(words).toBeLessThanOrEqual(config.prompts.maxWords);
    }
  });

  it('lowers the loss, and the saved checkpoint reproduces the recorded validation loss', async () => {
    const output = await openStageOutput(first.outputDir, 'pretrain');
    const curve = tableRows(await readParquetFile(output.file('loss_curve.parquet')));
    const small = curve.filter((r) => r.size === 'small');
    expect(small.at(-1)!.validation_loss as number).toBeLessThan((small[0].train_loss as number) - 0.2);

    const config = loadPipeline('test', root);
    const tokenizer = BpeTokenizer.fromJSON(JSON.parse(await readFile(output.file('tokenizer.json'), 'utf8')));
    const corpus = JSON.parse(await readFile(output.file('corpus.json'), 'utf8')) as { validationDocuments: string[] };
    const held = new Set(corpus.validationDocuments);
    const docs = loadBrownCorpus({ maxDocuments: config.corpus.maxDocuments }).filter((d) => held.has(d.id));
    const windows = evenlySpacedWindows(
      tokenStream(docs, tokenizer),
      config.pretrain.evalBatches * config.pretrain.batchSize,
      config.pretrain.contextLength + 1,
    );
    const model = await loadCheckpoint(join(output.dir, 'models', 'small'));
    const summary = tableRows(await readParquetFile(output.file('summary.parquet')));
    const recorded = summary.find((r) => r.size === 'small')!.validation_loss as number;
    expect(evaluateLoss(model, windows, config.pretrain.batchSize)).toBeCloseTo(recorded, 5);
    model.dispose();
  });

  it('gives byte-identical artifacts when rerun with the same config', async () => {
    const second = await runPretrain({ preset: 'test', backend: 'wasm', root, log: quiet });
    expect(second.manifest.files).toEqual(firstManifest.files);
  });

  it('names the path and the stage when a downstream reader meets a corrupt checkpoint', async () => {
    const path = join(first.outputDir, 'models', 'tiny', 'model.safetensors');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(path, bytes);
    await expect(openStageOutput(first.outputDir, 'pretrain')).rejects.toThrow(
      /corrupt artifact: .*models\/tiny\/model\.safetensors \(made by stage 'pretrain'\)/,
    );
    await expect(openStageOutput(join(root, 'artifacts', 'no-such-preset', 'pretrain'), 'pretrain')).rejects.toThrow(
      /missing artifact: .*no-such-preset\/pretrain\/manifest\.json is made by stage 'pretrain'/,
    );
  });
});
