import { shiftedBatch, type Model, type TokenBatch } from '@goodhart/model';

/** The policy's scalar head that PPO trains as its critic, on the policy's own trunk (as lm-human-preferences). */
export const VALUE_HEAD = 'value';

/**
 * Prompt + response sequences for the policy: `tokens` holds every sequence but its last token, left-padded to
 * `columns` = W − 1 (W the longest sequence), and `targets` the next tokens, so column c scores token c+1 from the
 * hidden state at c. Per-token quantities live in [B, columns] matrices indexed the same way. Under left padding
 * a row's response is its last `responseLengths[b]` tokens, so its per-token values are the row's last
 * `responseLengths[b]` columns.
 */
export interface SequenceBatch {
  rows: number;
  columns: number;
  tokens: TokenBatch;
  targets: Int32Array;
  responseLengths: number[];
  /** 1 on response columns, else 0; [B·columns]. */
  mask: Float32Array;
}

export function buildBatch(prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): SequenceBatch {
  if (prompts.length !== responses.length) throw new RangeError(`${prompts.length} prompts but ${responses.length} responses`);
  responses.forEach((response, b) => {
    if (response.length === 0) throw new RangeError(`response ${b} is empty`);
  });
  const { batch: tokens, targets } = shiftedBatch(prompts.map((prompt, b) => [...prompt, ...responses[b]]));
  const columns = tokens.width;
  const mask = new Float32Array(prompts.length * columns);
  responses.forEach((response, b) => mask.fill(1, b * columns + columns - response.length, (b + 1) * columns));
  return { rows: prompts.length, columns, tokens, targets, responseLengths: responses.map((r) => r.length), mask };
}

/** The rows `indices` of a batch (a PPO minibatch), keeping the width. */
export function selectRows(batch: SequenceBatch, indices: readonly number[]): SequenceBatch {
  const { columns } = batch;
  return {
    rows: indices.length,
    columns,
    tokens: {
      rows: indices.length,
      width: columns,
      ids: gatherRows(batch.tokens.ids, indices, columns),
      starts: Int32Array.from(indices, (row) => batch.tokens.starts[row]),
    },
    targets: gatherRows(batch.targets, indices, columns),
    responseLengths: indices.map((row) => batch.responseLengths[row]),
    mask: gatherRows(batch.mask, indices, columns),
  };
}

/** Rows `indices` of a [B, columns] matrix, as a new [indices.length, columns] matrix. */
export function gatherRows<T extends Int32Array | Float32Array>(matrix: T, indices: readonly number[], columns: number): T {
  const out = new (matrix.constructor as new (length: number) => T)(indices.length * columns);
  indices.forEach((row, i) => out.set(matrix.subarray(row * columns, (row + 1) * columns), i * columns));
  return out;
}

/** Row b's response entries of a [B, columns] matrix, in token order. */
export function responseValues(batch: SequenceBatch, matrix: ArrayLike<number>, row: number): Float64Array {
  const end = (row + 1) * batch.columns;
  return Float64Array.from({ length: batch.responseLengths[row] }, (_, k) => matrix[end - batch.responseLengths[row] + k]);
}

/** Scatters per-row response values back into a [B·columns] matrix (zeros elsewhere). */
export function toMatrix(batch: SequenceBatch, perRow: readonly ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(batch.rows * batch.columns);
  perRow.forEach((values, row) => {
    const start = (row + 1) * batch.columns - batch.responseLengths[row];
    for (let k = 0; k < values.length; k++) out[start + k] = values[k];
  });
  return out;
}

/** Next-token log-probs and values of the policy over a batch, both [B·columns]; `train` keeps it for backward. */
export function policyOutputs(policy: Model, batch: SequenceBatch, train = false): { logProbs: Float32Array; values: Float32Array } {
  const out = policy.forward(batch.tokens, { targets: batch.targets, heads: 'all', train });
  return { logProbs: out.logProbs!, values: out.heads[VALUE_HEAD] };
}

/** Next-token log-probs [B·columns] of a frozen model (the reference policy). */
export function frozenLogProbs(model: Model, batch: SequenceBatch): Float32Array {
  return model.forward(batch.tokens, { targets: batch.targets }).logProbs!;
}
