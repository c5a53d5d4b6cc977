import { describe, expect, it } from 'vitest';
import { computeFindings, FINDING_TITLES } from '../src/findings.ts';
import { klAtCommonGain } from '../src/findings/kl-currency.ts';
import { fitAll as fitWithLibrary } from '../src/fit-all.ts';
import type { Finding, FitInput, FitResults } from '../src/types.ts';
import { Rng } from '@goodhart/core';
import { makeFixture, MAIN_PROXY, POLICIES, rlCurve, type FixtureOptions } from './fixtures.ts';

function findings(options: FixtureOptions = {}, edit?: (input: FitInput, results: FitResults) => void): Finding[] {
  const { input, results } = makeFixture(options);
  edit?.(input, results);
  return computeFindings(input, results);
}

function finding(all: Finding[], id: number): Finding {
  const found = all.find((f) => f.id === id);
  if (!found) throw new Error(`finding ${id} missing`);
  return found;
}

const realistic = findings();

describe('computeFindings on a realistic synthetic preset', () => {
  it('returns the nine findings in order with their titles', () => {
    expect(realistic.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(realistic.map((f) => f.title)).toEqual(FINDING_TITLES);
    for (const f of realistic) expect(f.evidence.length).toBeGreaterThan(20);
  });

  it('finds every testable finding holding, 5 untestable with one policy size and 9 without DPO runs', () => {
    expect(realistic.map((f) => f.holds)).toEqual([true, true, true, true, null, true, true, true, null]);
    expect(finding(realistic, 5).evidence).toMatch(/two policy sizes/);
  });

  it('keeps numbers JSON-safe: finite numbers, strings, booleans or null', () => {
    for (const f of realistic) {
      for (const value of Object.values(f.numbers)) {
        if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
        else expect(value === null || typeof value === 'string' || typeof value === 'boolean').toBe(true);
      }
    }
  });

  it('is reproducible: the seeded drop bootstrap gives the same numbers twice', () => {
    expect(findings()).toEqual(realistic);
  });
});

describe('finding 1: gold rises then falls, proxy keeps rising', () => {
  it('reports a significant drop with its interval for both methods', () => {
    const n = finding(realistic, 1).numbers;
    expect(n.bon_overoptimising).toBeGreaterThan(0);
    expect(n.rl_overoptimising).toBe(1);
    expect(n.bon_example_drop_low as number).toBeGreaterThan(0);
    expect(n.rl_example_drop_low as number).toBeGreaterThan(0);
  });

  it('fails when BoN gold never turns down', () => {
    const f = finding(findings({ bonBetaScale: 0 }), 1);
    expect(f.holds).toBe(false);
    expect(f.numbers.bon_overoptimising).toBe(0);
  });

  it('is null without RL runs but still reports the BoN evidence', () => {
    const f = finding(findings({ rl: false }), 1);
    expect(f.holds).toBeNull();
    expect(f.evidence).toMatch(/BoN: \d+ of 10 curves/);
    expect(f.evidence).toMatch(/no unpenalised PPO runs/);
  });
});

describe('finding 2: functional forms', () => {
  it('judges R² at the largest comparisons count, reports the rest, and compares the two forms held out', () => {
    const f = finding(realistic, 2);
    const n = f.numbers;
    expect(n.bon_comparisons).toBe(8000);
    expect(n.bon_fits).toBe(5);
    expect(n.bon_reported_fits).toBe(5);
    expect(n.bon_r2_min as number).toBeGreaterThanOrEqual(0.8);
    expect(n.rl_comparisons).toBe(8000);
    expect(n.rl_fits).toBe(1);
    // The penalised run is reported, not judged.
    expect(n.rl_reported_fits).toBe(1);
    expect(n.bon_heldout_own_form_better).toBe(true);
    expect(n.bon_heldout_advantage_low as number).toBeGreaterThan(0);
    expect(typeof n.rl_heldout_own_form_better).toBe('boolean');
    expect(f.evidence).toMatch(/At 8000 comparisons, BoN d\(α − βd\)/);
    expect(f.evidence).toMatch(/Reported, not judged: BoN R² min [\d.]+ over 5 curves at fewer comparisons/);
  });

  it('fails when one BoN fit at the largest comparisons count is poor', () => {
    const f = finding(
      findings({}, (_, results) => {
        results.bon.find((fit) => fit.proxy.comparisons === 8000)!.r2 = 0.5;
      }),
      2,
    );
    expect(f.holds).toBe(false);
    expect(f.numbers.bon_r2_min).toBe(0.5);
  });

  it('reports, and does not judge, a poor BoN fit below the largest comparisons count', () => {
    const poor = findings({}, (_, results) => {
      results.bon.find((fit) => fit.proxy.comparisons === 1000)!.r2 = 0.11;
    });
    const f = finding(poor, 2);
    expect(f.numbers.bon_reported_r2_min).toBe(0.11);
    expect(f.numbers.bon_r2_min as number).toBeGreaterThanOrEqual(0.8);
    expect(f.holds).toBe(finding(realistic, 2).holds);
  });

  it('fails when the held-out comparison does not find BoN’s own form better (BoN gold that never turns down)', () => {
    const f = finding(findings({ bonBetaScale: 0 }), 2);
    expect(f.numbers.bon_heldout_own_form_better).toBe(false);
    expect(f.holds).toBe(false);
  });

  it('is null without RL fits', () => {
    expect(finding(findings({ rl: false }), 2).holds).toBeNull();
  });
});

describe('finding 3: larger RMs', () => {
  it('regresses α and β on log10 parameters at the largest comparisons count, with t intervals on the slopes', () => {
    const n = finding(realistic, 3).numbers;
    expect(n.comparisons).toBe(8000);
    expect(n.bon_points).toBe(5);
    expect(n.alpha_bon_slope_df).toBe(3);
    expect(n.alpha_bon_slope_low as number).toBeGreaterThan(0);
    expect(n.beta_bon_slope_high as number).toBeLessThan(0);
    expect(n.peak_d_m as number).toBeGreaterThan(n.peak_d_xs as number);
    expect(n.peaks_later_and_higher).toBe(true);
    expect(finding(realistic, 3).holds).toBe(true);
  });

  it('fails when α_bon falls with RM size', () => {
    const f = finding(
      findings({}, (_, results) => {
        for (const fit of results.bon) fit.alpha = { ...fit.alpha, mean: 1 - fit.alpha.mean };
      }),
      3,
    );
    expect(f.holds).toBe(false);
    expect(f.numbers.alpha_bon_slope as number).toBeLessThan(0);
  });

  it('does not hold when the slope points the right way but its interval includes 0', () => {
    const f = finding(
      findings({}, (_, results) => {
        // α rises on average from xs to m but the middle size breaks the line: right sign, no confidence.
        const at8000 = results.bon.filter((fit) => fit.proxy.comparisons === 8000);
        const alphas = { xs: 0.5, s: 0.9, m: 0.3, l: 0.8, xl: 0.6 } as Record<string, number>;
        for (const fit of at8000) fit.alpha = { ...fit.alpha, mean: alphas[fit.proxy.size]! };
      }),
      3,
    );
    expect(f.numbers.alpha_bon_slope as number).toBeGreaterThan(0);
    expect(f.numbers.alpha_bon_slope_low as number).toBeLessThan(0);
    expect(f.holds).toBe(false);
  });

  it('is null with two RM sizes and one seed: a line through two points has no interval', () => {
    const f = finding(
      findings({}, (_, results) => {
        results.bon = results.bon.filter((c) => c.proxy.size === 'xs' || c.proxy.size === 'xl');
      }),
      3,
    );
    expect(f.holds).toBeNull();
    expect(f.numbers.alpha_bon_slope_df).toBe(0);
    expect(f.evidence).toMatch(/at least three points/);
  });

  it('is null with one RM size', () => {
    const f = finding(
      findings({}, (input, results) => {
        input.bon = input.bon.filter((c) => c.proxy.size === 'm');
        results.bon = results.bon.filter((c) => c.proxy.size === 'm');
      }),
      3,
    );
    expect(f.holds).toBeNull();
    expect(f.evidence).toMatch(/two RM sizes/);
  });
});

describe('finding 4: more comparisons', () => {
  it('reports best gold and validation loss per count', () => {
    const n = finding(realistic, 4).numbers;
    expect(n.best_gold_n8000 as number).toBeGreaterThan(n.best_gold_n1000 as number);
    expect(n.validation_loss_n1000 as number).toBeGreaterThanOrEqual(0.67);
  });

  it('fails when the smallest count is already far from chance', () => {
    const f = finding(
      findings({}, (input) => {
        for (const p of input.proxies) if (p.comparisons === 1000) p.validationLoss = 0.62;
      }),
      4,
    );
    expect(f.holds).toBe(false);
    expect(f.evidence).toMatch(/not near chance/);
  });

  it('is null with one comparisons count', () => {
    expect(
      finding(
        findings({}, (input) => {
          input.bon = input.bon.filter((c) => c.proxy.comparisons === 8000);
        }),
        4,
      ).holds,
    ).toBeNull();
  });
});

describe('finding 5: policy size', () => {
  it('holds with a larger policy that starts higher, gains less and peaks at a similar d', () => {
    const f = finding(findings({ policySizes: 2 }), 5);
    expect(f.holds).toBe(true);
    expect(f.numbers.g1_large_policy).toBe('large');
    expect(f.numbers.g1_peak_d_ratio as number).toBeGreaterThan(0.5);
  });

  it('fails when the policy that starts higher is the smaller one', () => {
    const f = finding(
      findings({ policySizes: 2 }, (input) => {
        const runs = input.rl.filter((r) => r.klCoefficient === 0);
        runs[0]!.policy = { size: 'small', parameters: 8e6 };
        runs[1]!.policy = { size: 'large', parameters: 2e6 };
      }),
      5,
    );
    expect(f.holds).toBe(false);
  });
});

describe('finding 6: KL penalty as early stopping', () => {
  it('finds a lower final KL, the same frontier and more proxy per KL', () => {
    const f = finding(realistic, 6);
    expect(f.numbers.r1_final_kl as number).toBeLessThan(f.numbers.r1_unpenalised_final_kl as number);
    expect(f.numbers.r1_within_fraction as number).toBeGreaterThanOrEqual(0.7);
    expect(f.numbers.r1_mean_proxy_difference as number).toBeGreaterThan(0);
  });

  it('fails when the penalised run falls off the unpenalised frontier', () => {
    const f = finding(findings({ penaltyGoldShift: -0.4 }), 6);
    expect(f.holds).toBe(false);
    expect(f.numbers.r1_within_fraction as number).toBeLessThan(0.7);
  });

  it('is null without penalised runs', () => {
    const f = finding(
      findings({}, (input) => {
        input.rl = input.rl.filter((r) => r.klCoefficient === 0);
      }),
      6,
    );
    expect(f.holds).toBeNull();
    expect(f.evidence).toMatch(/no penalised runs/);
  });
});

describe('finding 7: KL is no common currency', () => {
  it('finds RL spending more KL than BoN for the same gain', () => {
    const f = finding(realistic, 7);
    expect(f.numbers.p1_proxy).toBe(MAIN_PROXY);
    expect(f.numbers.p1_rl_over_bon_kl as number).toBeGreaterThan(1);
  });

  it('fails when RL reaches the gain with less KL', () => {
    expect(finding(findings({ rlKlScale: 0.02 }), 7).holds).toBe(false);
  });

  it('is null without a proxy that has both methods', () => {
    expect(finding(findings({ rl: false }), 7).holds).toBeNull();
  });

  it('reads the KL off the fitted curves: the common gain and both KLs match a brute-force reading of the fits', () => {
    const { input } = makeFixture();
    const bon = input.bon.find((c) => c.proxy.cell === MAIN_PROXY)!;
    const run = input.rl.find((r) => r.klCoefficient === 0)!;
    const settings = { resamples: 200, confidence: 0.95, seed: 7 };
    const result = klAtCommonGain(bon, run, settings);
    if (typeof result === 'string') throw new Error(result);
    const fits = fitWithLibrary(input);
    const b = fits.bon.find((f) => f.curve === MAIN_PROXY)!;
    const r = fits.rl.find((f) => f.curve === run.run)!;
    // Brute force: scan each fitted curve on a fine grid over its measured range.
    const scan = (f: (d: number) => number, dMax: number): { max: number; first: (g: number) => number } => {
      const ds = Array.from({ length: 200001 }, (_, i) => (dMax * i) / 200000);
      return { max: ds.reduce((best, d) => Math.max(best, f(d)), 0), first: (g) => ds.find((d) => f(d) >= g)! };
    };
    const bonScan = scan((d) => d * (b.alpha.mean - b.beta.mean * d), Math.max(...bon.points.map((p) => p.d)));
    const rlScan = scan(
      (d) => (d > 0 ? d * (r.alpha.mean - r.beta.mean * Math.log(d)) : 0),
      Math.max(...run.perPromptKl.map((row) => Math.sqrt(Math.max(row.reduce((a, x) => a + x, 0) / row.length, 0)))),
    );
    const gain = 0.5 * Math.min(bonScan.max, rlScan.max);
    expect(result.gain).toBeCloseTo(gain, 6);
    expect(result.bonKl.mean).toBeCloseTo(bonScan.first(gain) ** 2, 3);
    expect(result.rlKl.mean).toBeCloseTo(rlScan.first(gain) ** 2, 2);
    expect(result.ratio.mean).toBeCloseTo(result.rlKl.mean / result.bonKl.mean, 12);
    expect(result.ratio.low).toBeLessThan(result.ratio.mean);
    expect(result.ratio.high).toBeGreaterThan(result.ratio.mean);
    expect(result.failedResamples).toBe(0);
  });

  it('does not hold when the ratio is above 1 but its interval is not', () => {
    // Make RL only a little more KL-hungry than BoN: the point estimate stays above 1, the interval does not.
    const f = finding(findings({ rlKlScale: 0.09 }), 7);
    expect(f.numbers.p1_rl_over_bon_kl_low as number).toBeLessThan(1);
    expect(f.holds).toBe(false);
  });
});

describe('finding 8: regressional Goodhart', () => {
  it('finds the prediction inside the gold intervals and no fall', () => {
    const n = finding(realistic, 8).numbers;
    expect(n.prediction_coverage as number).toBeGreaterThanOrEqual(0.8);
    expect(n.significant_falls).toBe(0);
  });

  it('fails when gold peaks and falls', () => {
    const f = finding(findings({ regressionalPeak: true }), 8);
    expect(f.holds).toBe(false);
    expect(f.numbers.significant_falls as number).toBeGreaterThan(0);
  });

  it('is null without the check', () => {
    expect(finding(findings({ regressional: false }), 8).holds).toBeNull();
  });
});

describe('findings by proxy seed', () => {
  const threeSeeds = findings({ seeds: [0, 1, 2] });

  it('judges each finding about the proxies on every seed, and says so', () => {
    const rmSize = finding(threeSeeds, 3);
    expect(rmSize.seeds).toEqual({ holds: [0, 1, 2], fails: [], untestable: [] });
    expect(rmSize.holds).toBe(true);
    expect(rmSize.numbers.bon_points).toBe(15);
    expect(rmSize.evidence).toMatch(/By proxy seed: holds for 0, 1, 2\./);
    // RL runs only against seed 0's proxy: the RL half of finding 1 cannot be judged on seeds 1 and 2.
    const rises = finding(threeSeeds, 1);
    expect(rises.seeds).toEqual({ holds: [0], fails: [], untestable: [1, 2] });
    expect(rises.numbers.bon_overoptimising_seeds).toBe('0,1,2');
    expect(rises.numbers.rl_overoptimising_seeds).toBe('0');
    // Finding 8's proxy is synthetic, not one of the grid's.
    expect(finding(threeSeeds, 8).seeds).toBeNull();
  });

  it('does not hold when one seed fails, even if the pooled seeds carry it', () => {
    const f = finding(
      findings({ seeds: [0, 1, 2] }, (_, results) => {
        for (const fit of results.bon) if (fit.proxy.seed === 1) fit.alpha = { ...fit.alpha, mean: 1 - fit.alpha.mean };
      }),
      3,
    );
    expect(f.seeds!.fails).toEqual([1]);
    expect(f.seeds!.holds).toEqual([0, 2]);
    expect(f.holds).toBe(false);
  });

  it('with one seed, the seed verdict is the finding’s verdict', () => {
    for (const f of realistic.filter((f) => f.id !== 8)) {
      expect(f.seeds!.holds.length + f.seeds!.fails.length + f.seeds!.untestable.length).toBe(1);
      if (f.holds === true) expect(f.seeds!.holds).toEqual([0]);
    }
  });
});

/**
 * proxy.grid.extraSeeds: seeds 1 and 2 exist only at the smallest and largest RM sizes (xs, xl), as the paper preset
 * trains them. A finding is judged on such a seed's RMs where they can judge it, reported "cannot be judged" where
 * they cannot, and a seed never counts as holding by default.
 */
describe('findings with extra seeds at some RM sizes only', () => {
  const extraSeeds = { sizes: ['xs', 'xl'], seeds: [1, 2] };
  const withExtra = findings({ extraSeeds });

  it('judges every finding without crashing, each seed in exactly one verdict list', () => {
    expect(withExtra.map((f) => f.holds)).toEqual([true, true, true, true, null, true, true, true, null]);
    for (const f of withExtra.filter((f) => f.id !== 8)) {
      expect([...f.seeds!.holds, ...f.seeds!.fails, ...f.seeds!.untestable].sort()).toEqual([0, 1, 2]);
    }
  });

  it('finding 1 (rises then falls) and 2 (functional forms): not judged on seeds with no RL runs', () => {
    for (const id of [1, 2]) {
      const f = finding(withExtra, id);
      expect(f.seeds).toEqual({ holds: [0], fails: [], untestable: [1, 2] });
      expect(f.evidence).toMatch(/By proxy seed: holds for 0; cannot be judged for 1, 2\./);
    }
    // The BoN half still sees every seed's curves: 5 sizes × 2 counts of seed 0, 2 sizes × 2 counts of seeds 1 and 2.
    expect(finding(withExtra, 1).numbers.bon_curves).toBe(18);
    expect(finding(withExtra, 1).numbers.bon_overoptimising_seeds).toBe('0,1,2');
  });

  it('finding 3 (RM size): the extra seeds are replicate points of the pooled regression, but two sizes cannot judge a seed', () => {
    const f = finding(withExtra, 3);
    // At 8000 comparisons: 5 fits of seed 0 plus xs and xl of seeds 1 and 2.
    expect(f.numbers.bon_points).toBe(9);
    expect(f.numbers.alpha_bon_slope_df).toBe(7);
    expect(f.seeds).toEqual({ holds: [0], fails: [], untestable: [1, 2] });
    expect(f.holds).toBe(true);
  });

  it('finding 4 (comparisons): judged on each extra seed at the sizes it has', () => {
    const f = finding(withExtra, 4);
    expect(f.seeds).toEqual({ holds: [0, 1, 2], fails: [], untestable: [] });
    expect(f.numbers.sizes_compared).toBe(5);
  });

  it('an extra seed that contradicts a finding makes it fail, even though it has two sizes only', () => {
    const f = finding(
      findings({ extraSeeds }, (input) => {
        // Seed 1's RMs learn nothing from more comparisons: validation loss does not fall.
        for (const proxy of input.proxies) if (proxy.seed === 1 && proxy.comparisons === 8000) proxy.validationLoss = 0.7;
      }),
      4,
    );
    expect(f.seeds).toEqual({ holds: [0, 2], fails: [1], untestable: [] });
    expect(f.holds).toBe(false);
  });

  it('with the real fits and an RL run against an extra seed, that seed is judged where it has the runs', () => {
    const { input } = makeFixture({ extraSeeds });
    const xl1 = input.proxies.find((p) => p.cell === 'xl-n8000-s1')!;
    input.rl.push(rlCurve(xl1, POLICIES[0]!, 0, { klScale: 1 }, Rng.fromSeed(3, 'fit/test/extra-seed-rl')));
    const all = computeFindings(input, fitWithLibrary(input));
    for (const f of all.filter((f) => f.id !== 8)) {
      expect([...f.seeds!.holds, ...f.seeds!.fails, ...f.seeds!.untestable].sort()).toEqual([0, 1, 2]);
    }
    // Seed 1 now has BoN and RL curves: findings 1 and 2 judge it; seed 2 still has no RL run.
    for (const id of [1, 2]) {
      const f = finding(all, id);
      expect(f.seeds!.untestable).toEqual([2]);
      expect([...f.seeds!.holds, ...f.seeds!.fails]).toContain(1);
    }
    // Two RM sizes and one RL run give seed 1 no slope interval: finding 3 is still not judged on it.
    expect(finding(all, 3).seeds!.untestable).toEqual([1, 2]);
  });
});
