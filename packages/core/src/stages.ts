import { join } from 'node:path';

/** Where each stage writes, and how a user makes it: shared so readers can name the producer in their errors. */
export function stageDir(root: string, pipeline: string, stage: string, ...rest: string[]): string {
  return join(root, 'artifacts', pipeline, stage, ...rest);
}

export function stageHint(stage: string, pipeline: string): string {
  return `npx nx run ${stage}:${pipeline}, or npm run pipeline -- --preset ${pipeline}`;
}
