import type { FitInput, FitResults } from '../types.ts';
import { distinct } from './selection.ts';

/**
 * Restricting a preset's curves and fits to the proxies of one seed (the s<seed> of a cell name), so a finding
 * can be judged on each seed's RMs alone: a finding that holds on the pooled seeds because one seed carries it
 * is not the paper's finding.
 */

/** The proxy seeds the preset's curves use, ascending. */
export function proxySeeds(input: FitInput): number[] {
  return distinct([...input.bon.map((c) => c.proxy.seed), ...input.rl.map((r) => r.proxy.seed), ...(input.dpo ?? []).map((r) => r.proxy.seed)]).sort(
    (a, b) => a - b,
  );
}

export function inputForSeed(input: FitInput, seed: number): FitInput {
  return {
    ...input,
    proxies: input.proxies.filter((p) => p.seed === seed),
    bon: input.bon.filter((c) => c.proxy.seed === seed),
    rl: input.rl.filter((r) => r.proxy.seed === seed),
    ...(input.dpo ? { dpo: input.dpo.filter((r) => r.proxy.seed === seed) } : {}),
  };
}

export function resultsForSeed(results: FitResults, seed: number): FitResults {
  const bon = results.bon.filter((f) => f.proxy.seed === seed);
  const rl = results.rl.filter((f) => f.proxy.seed === seed);
  const curves = new Set([...bon, ...rl].map((f) => f.curve));
  return {
    bon,
    rl,
    rlSharedAlpha: results.rlSharedAlpha.filter((group) => group.runs.every((run) => curves.has(run))),
    scaling: results.scaling.filter((s) => s.points.every((p) => curves.has(p.curve))),
    unfitted: results.unfitted,
    ...(results.dpo ? { dpo: results.dpo.filter((f) => f.proxy.seed === seed) } : {}),
  };
}
