import type { PolicyInfo, ProxyInfo } from '../../types.ts';
import { compactCount } from '../format.ts';

/** Legend labels: an RM size with its parameter count, "m (42M)", so the colour order reads as model scale. */
export function sizeLabel(proxy: Pick<ProxyInfo, 'size' | 'parameters'>): string {
  return `${proxy.size} (${compactCount(proxy.parameters)})`;
}

export function policyLabel(policy: PolicyInfo): string {
  return `${policy.size} (${compactCount(policy.parameters)})`;
}

/** Distinct labels ordered by a numeric key (parameters, comparisons…): a legend domain in scale order. */
export function orderedDomain<T>(items: readonly T[], label: (item: T) => string, key: (item: T) => number): string[] {
  const byLabel = new Map<string, number>();
  for (const item of items) if (!byLabel.has(label(item))) byLabel.set(label(item), key(item));
  return [...byLabel.entries()].sort((a, b) => a[1] - b[1]).map(([l]) => l);
}
