import { assertFiniteArray } from '@goodhart/core';

/**
 * Items sorted by score ascending, cut into runs of equal score. Both the estimator and the exact KL treat a run
 * of tied scores as one unit, so they share this one definition of "tied" (exact equality).
 */
export interface TieGroups {
  /** Item indices in ascending score order (order within a tie is arbitrary). */
  order: Int32Array;
  /** Group g holds order[starts[g] .. starts[g + 1]); starts has groupCount + 1 entries, ending at the item count. */
  starts: Int32Array;
  groupCount: number;
}

export function tieGroups(scores: ArrayLike<number>): TieGroups {
  assertFiniteArray('proxy', scores);
  const count = scores.length;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);

  const starts = new Int32Array(count + 1);
  let groupCount = 0;
  for (let r = 0; r < count; r++) {
    if (r === 0 || scores[order[r]!] !== scores[order[r - 1]!]) starts[groupCount++] = r;
  }
  starts[groupCount] = count;
  return { order, starts: starts.slice(0, groupCount + 1), groupCount };
}

/** Mean of `values` within each group, so tied items can be treated as interchangeable. */
export function groupMeans(groups: TieGroups, values: ArrayLike<number>): Float64Array {
  const means = new Float64Array(groups.groupCount);
  for (let g = 0; g < groups.groupCount; g++) {
    const start = groups.starts[g]!;
    const end = groups.starts[g + 1]!;
    let sum = 0;
    for (let r = start; r < end; r++) sum += values[groups.order[r]!]!;
    means[g] = sum / (end - start);
  }
  return means;
}
