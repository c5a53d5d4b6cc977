/**
 * Writes docs/outputs.md from the table declarations (scripts/docs/outputs-doc.ts). With `--check`, writes nothing
 * and exits 1 when the committed file differs from what the declarations give.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@goodhart/core';
import { currentOutputsDoc, OUTPUTS_DOC } from './docs/outputs-doc.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const root = workspaceRoot();
const path = join(root, OUTPUTS_DOC);
const wanted = currentOutputsDoc(root);

if (values.check) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // a missing file differs like any other
  }
  if (committed !== wanted) {
    console.error(`${OUTPUTS_DOC} differs from the table declarations: run npm run docs:outputs`);
    process.exit(1);
  }
  console.log(`${OUTPUTS_DOC} matches the table declarations`);
} else {
  writeFileSync(path, wanted);
  console.log(`wrote ${OUTPUTS_DOC}`);
}
