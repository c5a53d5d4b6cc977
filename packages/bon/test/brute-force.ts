/** Reference answers by direct enumeration; exponential cost, for tiny pools only. */

/** Every k-subset of {0..size−1}, as index arrays. */
export function subsets(size: number, k: number): number[][] {
  const result: number[][] = [];
  const current: number[] = [];
  const extend = (start: number): void => {
    if (current.length === k) {
      result.push([...current]);
      return;
    }
    for (let i = start; i < size; i++) {
      current.push(i);
      extend(i + 1);
      current.pop();
    }
  };
  extend(0);
  return result;
}

/** Mean over all n-subsets of the value at the max proxy, ties for the max averaged (uniform tie-break). */
export function bruteForceBestOfN(proxy: readonly number[], values: readonly number[], n: number): number {
  const all = subsets(proxy.length, n);
  let total = 0;
  for (const subset of all) {
    const top = Math.max(...subset.map((i) => proxy[i]!));
    const winners = subset.filter((i) => proxy[i] === top);
    total += winners.reduce((sum, i) => sum + values[i]!, 0) / winners.length;
  }
  return total / all.length;
}

/**
 * KL(π_bon ‖ π) by enumerating all n-tuples of draws; a tie for the max among the draws goes to each tied draw
 * with equal probability, which is how best-of-n sampling itself breaks ties.
 */
export function bruteForceBestOfNKl(proxy: readonly number[], probabilities: readonly number[], n: number): number {
  const K = proxy.length;
  const bon = new Array<number>(K).fill(0);
  const tuple = new Array<number>(n).fill(0);
  const visit = (position: number, probability: number): void => {
    if (position === n) {
      const top = Math.max(...tuple.map((k) => proxy[k]!));
      const winners = tuple.filter((k) => proxy[k] === top);
      for (const k of winners) bon[k] += probability / winners.length;
      return;
    }
    for (let k = 0; k < K; k++) {
      tuple[position] = k;
      visit(position + 1, probability * probabilities[k]!);
    }
  };
  visit(0, 1);
  let kl = 0;
  for (let k = 0; k < K; k++) if (bon[k]! > 0) kl += bon[k]! * Math.log(bon[k]! / probabilities[k]!);
  return kl;
}
