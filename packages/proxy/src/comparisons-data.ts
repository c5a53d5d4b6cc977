import { openStage, readParquetFile, type StageOutput } from '@goodhart/core';
import type { Table } from 'apache-arrow';

export interface ComparisonRow {
  promptTokens: number[];
  tokensA: number[];
  tokensB: number[];
  /** 0: a preferred, 1: b preferred (the label the RM trains on; may be noisy). */
  preferred: 0 | 1;
  goldPreferred: 0 | 1;
  goldA: number;
  goldB: number;
}

export interface InitialSample {
  promptTokens: number[];
  responseTokens: number[];
}

export interface LabelArtifacts {
  output: StageOutput;
  train: ComparisonRow[];
  validation: ComparisonRow[];
  samples: InitialSample[];
}

export async function openLabelArtifacts(root: string, pipeline: string): Promise<LabelArtifacts> {
  const output = await openStage(root, pipeline, 'label');
  const comparisonsPath = output.file('comparisons.parquet');
  const table = await readParquetFile(comparisonsPath);
  const column = requireColumns(table, comparisonsPath, ['split', 'prompt_tokens', 'tokens_a', 'tokens_b', 'preferred', 'gold_preferred', 'gold_a', 'gold_b']);
  const train: ComparisonRow[] = [];
  const validation: ComparisonRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: ComparisonRow = {
      promptTokens: Array.from(column.prompt_tokens.get(i) as Iterable<number>),
      tokensA: Array.from(column.tokens_a.get(i) as Iterable<number>),
      tokensB: Array.from(column.tokens_b.get(i) as Iterable<number>),
      preferred: Number(column.preferred.get(i)) === 0 ? 0 : 1,
      goldPreferred: Number(column.gold_preferred.get(i)) === 0 ? 0 : 1,
      goldA: Number(column.gold_a.get(i)),
      goldB: Number(column.gold_b.get(i)),
    };
    const split = String(column.split.get(i));
    if (split === 'train') train.push(row);
    else if (split === 'validation') validation.push(row);
    else throw new Error(`${comparisonsPath} (made by stage 'label'): row ${i} has split "${split}", expected train or validation`);
  }
  const samplesPath = output.file('samples.parquet');
  const samplesTable = await readParquetFile(samplesPath);
  const sampleColumns = requireColumns(samplesTable, samplesPath, ['prompt_tokens', 'response_tokens']);
  const samples: InitialSample[] = [];
  for (let i = 0; i < samplesTable.numRows; i++) {
    samples.push({
      promptTokens: Array.from(sampleColumns.prompt_tokens.get(i) as Iterable<number>),
      responseTokens: Array.from(sampleColumns.response_tokens.get(i) as Iterable<number>),
    });
  }
  return { output, train, validation, samples };
}

type Columns<K extends string> = Record<K, { get(i: number): unknown }>;

function requireColumns<K extends string>(table: Table, path: string, names: readonly K[]): Columns<K> {
  const out = {} as Columns<K>;
  for (const name of names) {
    const child = table.getChild(name);
    if (!child) throw new Error(`${path} (made by stage 'label') has no column "${name}"`);
    out[name] = child;
  }
  return out;
}
