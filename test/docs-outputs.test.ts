import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@goodhart/core';
import { currentOutputsDoc, documentTable, findDeclarations, OUTPUTS_DOC, renderOutputsDoc } from '../scripts/docs/outputs-doc.ts';

const root = workspaceRoot();

describe('docs/outputs.md, generated from the defineTable declarations', () => {
  it('the committed file is what the declarations give (regenerate with npm run docs:outputs)', () => {
    expect(readFileSync(join(root, OUTPUTS_DOC), 'utf8')).toBe(currentOutputsDoc(root));
  });

  it('lists every column of a declared table with its type and meaning', () => {
    const doc = currentOutputsDoc(root);
    expect(doc).toContain('### `bon/curves/curves.parquet`');
    expect(doc).toContain("| `kl_exact` | float64 | the exact KL of best-of-n from each prompt's pool");
    expect(doc).toContain('### `ppo/runs/<run>/train.parquet`');
  });

  it('a changed meaning changes the page; a doc comment naming another file, or none, stops the generator', () => {
    const source = [
      '/** bon/curves/x.parquet: one row per thing. */',
      "export const X_TABLE = defineTable('x.parquet', {});",
      '/** bon/curves/y.parquet */',
      "export const WRONG_TABLE = defineTable('z.parquet', {});",
      "export const BARE_TABLE = defineTable('b.parquet', {});",
    ].join('\n');
    const [x, wrong, bare] = findDeclarations(source, 'bon.ts');
    const column = (meaning: string) => ({ file: 'x.parquet', columns: { a: { type: 'int32' as const, meaning } } });
    const page = (meaning: string) => renderOutputsDoc('# t\n<!-- tables: bon -->\n', [documentTable(x, column(meaning))]);
    expect(page('first')).toContain('One row per thing.\n\n| column | type | meaning |\n| --- | --- | --- |\n| `a` | int32 | first |');
    expect(page('second')).not.toBe(page('first'));
    expect(() => documentTable(wrong, { file: 'z.parquet', columns: {} })).toThrow(/names bon\/curves\/y.parquet, but it declares the file z.parquet/);
    expect(() => documentTable(bare, { file: 'b.parquet', columns: {} })).toThrow(/BARE_TABLE \(bon.ts\) has no doc comment/);
    expect(() => renderOutputsDoc('# t\n', [documentTable(x, column('a'))])).toThrow(/no <!-- tables: bon --> marker/);
  });
});
