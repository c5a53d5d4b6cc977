import type { ProxyInfo, RlCurve } from '../types.ts';

/** Picking the runs each finding compares. */

/** Runs with no KL penalty: the paper's default RL setting, and the only ones its functional forms were fitted to. */
export function unpenalisedRuns(runs: readonly RlCurve[]): RlCurve[] {
  return runs.filter((run) => run.klCoefficient === 0);
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Distinct RM sizes, smallest first by parameter count. */
export function sizesByParameters(proxies: readonly ProxyInfo[]): { size: string; parameters: number }[] {
  const bySize = new Map<string, number>();
  for (const proxy of proxies) if (!bySize.has(proxy.size)) bySize.set(proxy.size, proxy.parameters);
  return [...bySize.entries()].map(([size, parameters]) => ({ size, parameters })).sort((a, b) => a.parameters - b.parameters);
}

/** Groups items by a string key, keeping first-seen order of keys. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
