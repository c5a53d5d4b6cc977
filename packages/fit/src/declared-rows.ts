import type { RowOf, TableColumns, TableSpec } from '@goodhart/core';

/**
 * The typed rows of a declared table, or a stop naming the file, the missing or mistyped column, the stage that wrote
 * it and the task that reruns it: an artifact from before a column existed is rerun upstream (Nx does so when the
 * code changes), never read with a gap.
 */
export function declaredRows<C extends TableColumns>(
  spec: TableSpec<C>,
  table: Parameters<TableSpec<C>['rows']>[0],
  path: string,
  stage: string,
  rerun: string,
): RowOf<C>[] {
  try {
    return spec.rows(table, path);
  } catch (error) {
    throw new Error(`${(error as Error).message}; made by stage '${stage}': rerun that stage with the current code (${rerun})`);
  }
}
