import type { TokenBatch } from './engine/types.ts';

/** Left-pads rows to a common width; `starts[b]` is where row b's real tokens begin. */
export function leftPad(rows: readonly (readonly number[])[], pad: number): { ids: number[][]; starts: number[] } {
  if (rows.length === 0) throw new Error('no sequences to batch');
  const width = Math.max(...rows.map((r) => r.length));
  if (width === 0) throw new Error('every sequence is empty: a batch needs at least one token per row');
  for (let b = 0; b < rows.length; b++) {
    if (rows[b].length === 0) throw new Error(`sequence ${b} is empty: a batch needs at least one token per row`);
  }
  const starts = rows.map((r) => width - r.length);
  const ids = rows.map((r) => [...new Array<number>(width - r.length).fill(pad), ...r]);
  return { ids, starts };
}

/** Sequences of different lengths as one left-padded batch (pad id 0, masked out). */
export function tokenBatch(sequences: readonly (readonly number[])[]): TokenBatch {
  const { ids, starts } = leftPad(sequences, 0);
  const width = ids[0].length;
  const flat = new Int32Array(sequences.length * width);
  ids.forEach((row, b) => flat.set(row, b * width));
  return { rows: sequences.length, width, ids: flat, starts: Int32Array.from(starts) };
}

/** Equal-length windows [rows, width + 1] as the inputs (first width tokens) and next-token targets of an LM batch. */
export function nextTokenBatch(windows: Int32Array, rows: number, windowWidth: number): { batch: TokenBatch; targets: Int32Array } {
  if (windows.length !== rows * windowWidth) throw new RangeError(`windows: holds ${windows.length} tokens, expected ${rows} × ${windowWidth}`);
  if (windowWidth < 2) throw new RangeError(`windows must be at least 2 tokens wide, got ${windowWidth}`);
  const width = windowWidth - 1;
  const ids = new Int32Array(rows * width);
  const targets = new Int32Array(rows * width);
  for (let b = 0; b < rows; b++) {
    ids.set(windows.subarray(b * windowWidth, b * windowWidth + width), b * width);
    targets.set(windows.subarray(b * windowWidth + 1, (b + 1) * windowWidth), b * width);
  }
  return { batch: { rows, width, ids, starts: new Int32Array(rows) }, targets };
}

/**
 * Prompt + response sequences as a batch whose column c predicts token c+1: ids are every sequence but its last
 * token, targets the sequences shifted by one. Under left padding row b's response occupies its last
 * `responseLengths[b]` columns.
 */
export function shiftedBatch(sequences: readonly (readonly number[])[]): { batch: TokenBatch; targets: Int32Array } {
  const full = tokenBatch(sequences);
  if (full.width < 2) throw new RangeError('sequences must be at least 2 tokens long to predict a next token');
  for (let b = 0; b < full.rows; b++) {
    if (full.starts[b] > full.width - 2) throw new RangeError(`sequence ${b} has ${full.width - full.starts[b]} token(s); at least 2 are needed`);
  }
  const { batch, targets } = nextTokenBatch(full.ids, full.rows, full.width);
  return { batch: { ...batch, starts: full.starts }, targets };
}
