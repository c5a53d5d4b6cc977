import { COMPARISONS_TABLE, openStage, readParquetFile, SAMPLES_TABLE, type StageOutput } from '@goodhart/core';

export interface ComparisonRow {
  promptTokens: number[];
  tokensA: number[];
  tokensB: number[];
  /** 0: a preferred, 1: b preferred (the label the RM trains on; may be noisy). */
  preferred: 0 | 1;
  goldPreferred: 0 | 1;
  goldA: number;
  goldB: number;
  /** What the human prefers: 0 (a), 1 (b), −1 when the human ties them (label's human_preferred). */
  humanPreferred: 0 | 1 | -1;
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
  const comparisonsPath = output.file(COMPARISONS_TABLE.file);
  const train: ComparisonRow[] = [];
  const validation: ComparisonRow[] = [];
  for (const [i, c] of COMPARISONS_TABLE.select(await readParquetFile(comparisonsPath), comparisonsPath, [
    'split',
    'prompt_tokens',
    'tokens_a',
    'tokens_b',
    'preferred',
    'gold_preferred',
    'gold_a',
    'gold_b',
    'human_preferred',
  ]).entries()) {
    const row: ComparisonRow = {
      promptTokens: [...c.prompt_tokens],
      tokensA: [...c.tokens_a],
      tokensB: [...c.tokens_b],
      preferred: c.preferred === 0 ? 0 : 1,
      goldPreferred: c.gold_preferred === 0 ? 0 : 1,
      goldA: Number(c.gold_a),
      goldB: Number(c.gold_b),
      humanPreferred: humanPreference(Number(c.human_preferred)),
    };
    if (c.split === 'train') train.push(row);
    else if (c.split === 'validation') validation.push(row);
    else throw new Error(`${comparisonsPath} (made by stage '${output.manifest.stage}'): row ${i} has split "${c.split}", expected train or validation`);
  }
  const samplesPath = output.file(SAMPLES_TABLE.file);
  const samples: InitialSample[] = SAMPLES_TABLE.select(await readParquetFile(samplesPath), samplesPath, ['prompt_tokens', 'response_tokens']).map((s) => ({
    promptTokens: [...s.prompt_tokens],
    responseTokens: [...s.response_tokens],
  }));
  return { output, train, validation, samples };
}

function humanPreference(value: number): 0 | 1 | -1 {
  return value === 0 ? 0 : value === 1 ? 1 : -1;
}
