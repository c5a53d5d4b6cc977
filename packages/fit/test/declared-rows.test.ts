import { CURVES_BY_PROMPT_TABLE, tableFromColumns } from '@goodhart/core';
import { describe, expect, it } from 'vitest';
import { declaredRows } from '../src/declared-rows.ts';

const path = '/a/bon/curves/curves_by_prompt.parquet';
const row = { proxy: 'tiny-n20-s0', n: 2, d: 0.5, prompt_id: 7, gold: 0.25, human: null };

describe('declaredRows', () => {
  it('names the file, the missing column, the stage and the task to rerun', () => {
    const { human: _human, ...older } = CURVES_BY_PROMPT_TABLE.columns;
    const table = tableFromColumns(
      Object.fromEntries(Object.entries(older).map(([name, spec]) => [name, { type: spec.type, values: [row[name as keyof typeof row]] }])) as Parameters<
        typeof tableFromColumns
      >[0],
    );
    expect(() => declaredRows(CURVES_BY_PROMPT_TABLE, table, path, 'bon', 'npx nx run bon:pipeline-quick')).toThrow(
      `${path} has no column "human" (${CURVES_BY_PROMPT_TABLE.columns.human.meaning}); made by stage 'bon': rerun that stage with the current code (npx nx run bon:pipeline-quick)`,
    );
  });

  it('names a column of the wrong type', () => {
    const table = tableFromColumns({ proxy: { type: 'utf8', values: ['x'] }, n: { type: 'float64', values: [2] } });
    expect(() => declaredRows(CURVES_BY_PROMPT_TABLE, table, path, 'bon', 'npx nx run bon:pipeline-quick')).toThrow(
      `${path}: column "n" is Float64, expected Int32`,
    );
  });

  it('gives the typed rows back when every column is there', () => {
    const table = CURVES_BY_PROMPT_TABLE.fromRows([row]);
    expect(declaredRows(CURVES_BY_PROMPT_TABLE, table, path, 'bon', 'npx nx run bon:pipeline-quick')).toEqual([row]);
  });
});
