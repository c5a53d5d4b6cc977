/**
 * Stops with the file, the stage that wrote it and the missing columns, before any curve is read from it: an artifact
 * from before a column existed is rerun upstream (Nx does so when the code changes), never read with a gap.
 */
export function requireColumns(present: readonly string[], required: readonly string[], file: string, stage: string, rerun: string): void {
  const missing = required.filter((column) => !present.includes(column));
  if (missing.length > 0) {
    throw new Error(
      `${file} (made by stage '${stage}') has no column ${missing.map((c) => `"${c}"`).join(', ')}: rerun that stage with the current code (${rerun})`,
    );
  }
}
