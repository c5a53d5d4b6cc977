import { join } from 'node:path';
import { codeVersion } from './hash.ts';

/** Where each stage writes, and how a user makes it: shared so readers can name the producer in their errors. */
export function stageDir(root: string, pipeline: string, stage: string, ...rest: string[]): string {
  return join(root, 'artifacts', pipeline, stage, ...rest);
}

export function stageHint(stage: string, pipeline: string): string {
  return `npx nx run ${stage}:${pipeline}, or npm run pipeline -- --preset ${pipeline}`;
}

/** The code version recorded in a stage's manifest: a hash of the named packages' sources under `root`. */
export function packagesCodeVersion(root: string, packages: readonly string[]): string {
  return codeVersion(packages.map((name) => join(root, 'packages', name, 'src')));
}
