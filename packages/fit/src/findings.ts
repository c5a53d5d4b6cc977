import { checkComparisons } from './findings/comparisons.ts';
import { checkDirectAlignment } from './findings/direct-alignment.ts';
import { checkFunctionalForms } from './findings/functional-forms.ts';
import { checkKlCurrency } from './findings/kl-currency.ts';
import { checkKlPenalty } from './findings/kl-penalty.ts';
import { checkPolicySize } from './findings/policy-size.ts';
import { inputForSeed, proxySeeds, resultsForSeed } from './findings/per-seed.ts';
import { checkRegressional } from './findings/regressional.ts';
import { checkRisesThenFalls } from './findings/rises-then-falls.ts';
import { analyseRewardSources, checkRewardSources, SOURCES_FINDING_TITLE } from './findings/reward-sources.ts';
import { checkRmSize } from './findings/rm-size.ts';
import { FINDING_TITLES } from './findings/titles.ts';
import type { Check } from './findings/types.ts';
import type { FitInput, FitResults, Finding, SeedVerdicts } from './types.ts';

export { FINDING_TITLES } from './findings/titles.ts';
export * as findingThresholds from './findings/thresholds.ts';

interface FindingCheck {
  check: (input: FitInput, results: FitResults) => Check;
  /** Judged per proxy seed too (every finding about learned proxies; not finding 8's synthetic one). */
  perSeed: boolean;
}

const CHECKS: readonly FindingCheck[] = [
  { check: checkRisesThenFalls, perSeed: true },
  { check: checkFunctionalForms, perSeed: true },
  { check: checkRmSize, perSeed: true },
  { check: checkComparisons, perSeed: true },
  { check: checkPolicySize, perSeed: true },
  { check: checkKlPenalty, perSeed: true },
  { check: checkKlCurrency, perSeed: true },
  { check: checkRegressional, perSeed: false },
  { check: checkDirectAlignment, perSeed: true },
];

/**
 * The eight findings of paper-notes §5, and direct alignment's (Rafailov et al. 2024), judged on this preset's curves and fits. Each check's criterion and
 * thresholds are documented in its own module (findings/*.ts, constants in findings/thresholds.ts). A finding is
 * null when the preset lacks the runs to test it; its evidence then names what is missing.
 *
 * Every finding about the learned proxies is judged on all seeds pooled and again on each proxy seed's curves
 * alone. It holds only when the pooled verdict holds and no seed's verdict fails; seeds where it cannot be judged
 * (say, no RL runs against that seed's proxies) are listed as such.
 */
export function computeFindings(input: FitInput, results: FitResults): Finding[] {
  const seeds = proxySeeds(input);
  const paper = CHECKS.map(({ check, perSeed }, i) => {
    const pooled = check(input, results);
    if (!perSeed) return { id: i + 1, title: FINDING_TITLES[i]!, holds: pooled.holds, seeds: null, evidence: pooled.evidence, numbers: pooled.numbers };
    const verdicts = seeds.length === 1 ? [pooled.holds] : seeds.map((seed) => check(inputForSeed(input, seed), resultsForSeed(results, seed)).holds);
    const bySeed: SeedVerdicts = {
      holds: seeds.filter((_, s) => verdicts[s] === true),
      fails: seeds.filter((_, s) => verdicts[s] === false),
      untestable: seeds.filter((_, s) => verdicts[s] === null),
    };
    const holds = pooled.holds === null ? null : pooled.holds && bySeed.fails.length === 0;
    const seedText = seeds.length > 1 ? ` ${describeSeeds(bySeed)}` : '';
    return { id: i + 1, title: FINDING_TITLES[i]!, holds, seeds: bySeed, evidence: `${pooled.evidence}${seedText}`, numbers: pooled.numbers };
  });
  return [...paper, ...sourcesFinding(input, paper.length + 1)];
}

/**
 * Finding 10, only when the pipeline file declares reward sources (a preset without them keeps the nine others, and
 * its findings.json, unchanged). Not judged per seed: every source pools the seeds of its members, so a seed's
 * curves alone hold no source; the evidence counts the single members (seeds) each source beats instead.
 */
function sourcesFinding(input: FitInput, id: number): Finding[] {
  const analysis = analyseRewardSources(input);
  if (!analysis) return [];
  const check = checkRewardSources(input, analysis);
  return [{ id, title: SOURCES_FINDING_TITLE, holds: check.holds, seeds: null, evidence: check.evidence, numbers: check.numbers }];
}

/** "By proxy seed: holds for 0, 2; fails for 1; cannot be judged for 3." (proxy seeds: the s<seed> of cell names) */
export function describeSeeds(seeds: SeedVerdicts): string {
  const parts = [
    seeds.holds.length > 0 ? `holds for ${seeds.holds.join(', ')}` : '',
    seeds.fails.length > 0 ? `fails for ${seeds.fails.join(', ')}` : '',
    seeds.untestable.length > 0 ? `cannot be judged for ${seeds.untestable.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `By proxy seed: ${parts.join('; ')}.` : 'No proxy seeds.';
}
