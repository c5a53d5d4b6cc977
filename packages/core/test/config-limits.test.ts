import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigError, loadPipeline, parsePipeline, workspaceRoot } from '../src/config.ts';
import { problemsOf } from './config-problems.ts';

/** Faults a bad-input pass found (issue 12): each was accepted at load and failed later, or was echoed whole. */
const root = workspaceRoot();

type Raw = Record<string, Record<string, unknown>>;

function validRaw(): Raw {
  return JSON.parse(JSON.stringify(loadPipeline('test', root))) as Raw;
}

function edited(edit: (raw: Raw) => void): string[] {
  const raw = validRaw();
  edit(raw);
  return problemsOf(raw);
}

/** The edited test preset loads without problems. */
function accepted(edit: (raw: Raw) => void): void {
  const raw = validRaw();
  edit(raw);
  expect(() => parsePipeline(raw, 'x.json')).not.toThrow();
}

describe('the grid has a size limit', () => {
  it('refuses a 12,000-cell grid at once, naming the field and the limit', () => {
    const started = performance.now();
    const problems = edited((raw) => {
      raw.proxy.grid = { sizes: ['tiny', 'small'], comparisons: Array.from({ length: 60 }, (_, i) => i + 1), seeds: Array.from({ length: 100 }, (_, i) => i) };
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^field "proxy\.grid": got \{"sizes":\["tiny","small"\],"comparisons":\[1,2,3,.*… \(\d+ characters in all\); 2 sizes × 60 comparison counts × 100 seeds = 12000 cells; at most 256 are allowed \(each cell is an Nx project of every command\)$/,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses too many PPO runs', () => {
    const problems = edited((raw) => {
      raw.ppo!.klCoefficients = Array.from({ length: 300 }, (_, i) => i / 10);
    });
    expect(problems.some((p) => p.startsWith('field "ppo": ') && p.includes('300 runs; at most 256 are allowed'))).toBe(true);
  });
});

describe('errors echo a bad value cut short', () => {
  it('a 5 MB string becomes a line of a few hundred characters', () => {
    const huge = 'x'.repeat(5_000_000);
    const [problem] = edited((raw) => {
      raw.corpus.source = huge;
    });
    expect(problem!.length).toBeLessThan(600);
    expect(problem).toMatch(/^field "corpus\.source": got "x{199}… \(5,000,002 characters in all\); allowed values: "brown"$/);
  });

  it('a 5 MB unknown field name is cut short too', () => {
    const [problem] = edited((raw) => {
      raw.corpus['k'.repeat(5_000_000)] = 1;
    });
    expect(problem!.length).toBeLessThan(600);
    expect(problem).toMatch(/^unknown field "corpus\.k+… \(5,000,007 characters in all\)"; allowed here: source/);
  });

  it('1e400 is reported as infinite, not as null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goodhart-config-'));
    try {
      await mkdir(join(dir, 'pipelines'));
      const text = JSON.stringify(validRaw()).replace('"learningRate":0.003', '"learningRate":1e400');
      expect(text).toContain('1e400');
      await writeFile(join(dir, 'pipelines', 'test.json'), text);
      let problems: string[] = [];
      try {
        loadPipeline('test', dir);
      } catch (error) {
        problems = (error as ConfigError).problems;
      }
      expect(problems).toEqual([
        'field "pretrain.learningRate": got Infinity (the file has a number beyond the range of a double, such as 1e400); expected number',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('duplicate list entries are rejected everywhere, naming the field and the duplicate', () => {
  const cases: [string, (raw: Raw) => void, string][] = [
    [
      'policy.sizes',
      (raw) => (raw.policy.sizes = ['small', 'small']),
      'field "policy.sizes.1": got "small"; duplicate of policy.sizes.0: each entry may appear once',
    ],
    [
      'pretrain.sizes',
      (raw) => (raw.pretrain.sizes = ['tiny', 'small', 'tiny']),
      'field "pretrain.sizes.2": got "tiny"; duplicate of pretrain.sizes.0: each entry may appear once',
    ],
    [
      'bon.proxies',
      (raw) => (raw.bon.proxies = ['tiny-n20-s0', 'small-n20-s0', 'tiny-n20-s0']),
      'field "bon.proxies.2": got "tiny-n20-s0"; duplicate of bon.proxies.0: each entry may appear once',
    ],
    [
      'bon.curves.ns',
      (raw) => ((raw.bon.curves as Record<string, unknown>).ns = [1, 2, 5, 2]),
      'field "bon.curves.ns.3": got 2; duplicate of bon.curves.ns.1: each entry may appear once',
    ],
    [
      'proxy.grid.seeds',
      (raw) => ((raw.proxy.grid as Record<string, unknown>).seeds = [0, 0]),
      'field "proxy.grid.seeds.1": got 0; duplicate of proxy.grid.seeds.0: each entry may appear once',
    ],
    [
      'proxy.grid.comparisons',
      (raw) => ((raw.proxy.grid as Record<string, unknown>).comparisons = [20, 20]),
      'field "proxy.grid.comparisons.1": got 20; duplicate of proxy.grid.comparisons.0: each entry may appear once',
    ],
    [
      'ppo.proxies',
      (raw) => (raw.ppo!.proxies = ['tiny-n20-s0', 'tiny-n20-s0']),
      'field "ppo.proxies.1": got "tiny-n20-s0"; duplicate of ppo.proxies.0: each entry may appear once',
    ],
    [
      'ppo.klCoefficients',
      (raw) => (raw.ppo!.klCoefficients = [0, 0.5, 0.5]),
      'field "ppo.klCoefficients.2": got 0.5; duplicate of ppo.klCoefficients.1: each entry may appear once',
    ],
    [
      'ppo.policies',
      (raw) => (raw.ppo!.policies = ['small', 'small']),
      'field "ppo.policies.1": got "small"; duplicate of ppo.policies.0: each entry may appear once',
    ],
  ];
  it.each(cases)('%s', (_, edit, expected) => {
    expect(edited(edit)).toEqual([expected]);
  });
});

describe('inconsistencies that used to fail in a later stage are caught at load, naming the fields', () => {
  it('response tokens beyond the context length', () => {
    expect(edited((raw) => (raw.label.responseTokens = 13))).toEqual([
      'field "label.responseTokens": got 13; prompts.maxTokens (36) + label.responseTokens (13) = 49 tokens exceeds pretrain.contextLength (48): a prompt and its response must fit in the context',
    ]);
  });

  it('prompts.minWords more than fit in prompts.maxTokens', () => {
    expect(edited((raw) => (raw.prompts.maxTokens = 2))).toEqual([
      'field "prompts.minWords": got 3; must be ≤ prompts.maxTokens (2): every word is at least one token',
    ]);
  });

  it('a comparison count above the pairs label can make', () => {
    // 24 prompts, 6 held out: 18 × (4·3/2) = 108 pairs.
    expect(edited((raw) => ((raw.proxy.grid as Record<string, unknown>).comparisons = [20, 109]))).toEqual([
      'field "proxy.grid.comparisons.1": got 109; label can make at most 108 training comparisons: 18 prompts (label.prompts (24) less the max(1, round(label.validationFraction × label.prompts)) held out for validation) × 4·3/2 pairs of label.samplesPerPrompt (fewer after ties are dropped)',
    ]);
    accepted((raw) => ((raw.proxy.grid as Record<string, unknown>).comparisons = [20, 108]));
  });

  it('label.prompts leaving no training comparisons', () => {
    const problems = edited((raw) => (raw.label.prompts = 1));
    expect(problems[0]).toBe(
      'field "label.prompts": got 1; label.prompts (1) less the max(1, round(label.validationFraction × label.prompts)) held out for validation leaves no prompt for RM training, so there would be no training comparisons',
    );
  });

  it('bon.curves.ns too short for the best-of-n fit', () => {
    for (const ns of [[1], [4], [1, 2]]) {
      expect(edited((raw) => ((raw.bon.curves as Record<string, unknown>).ns = ns))).toEqual([
        `field "bon.curves.ns": got ${JSON.stringify(ns)}; needs at least two distinct n > 1: the best-of-n fit has two coefficients, and n = 1 is the initial policy (d = 0)`,
      ]);
    }
    accepted((raw) => ((raw.bon.curves as Record<string, unknown>).ns = [1, 2, 4]));
    expect(edited((raw) => ((raw.bon.pool as Record<string, unknown>).samplesPerPrompt = 2))[0]).toMatch(
      /^field "bon\.pool\.samplesPerPrompt": got 2; must be ≥ 3 when bon\.curves\.ns is absent/,
    );
  });

  it('a near-zero temperature, naming the field', () => {
    expect(
      edited((raw) => {
        raw.label.temperature = 1e-6;
        raw.ppo!.temperature = 0.001;
      }),
    ).toEqual([
      'field "label.temperature": got 0.000001; must be ≥ 0.05: below that sampling is effectively greedy, a prompt\'s samples are identical, and label gets no comparisons (ties are dropped) and gold no spread',
      'field "ppo.temperature": got 0.001; must be ≥ 0.05: below that sampling is effectively greedy, a prompt\'s samples are identical, and label gets no comparisons (ties are dropped) and gold no spread',
    ]);
  });

  it('bon.proxies must be cells of the grid (no path through a cell name)', () => {
    expect(edited((raw) => (raw.bon.proxies = ['../../../etc']))[0]).toMatch(
      /^field "bon\.proxies\.0": got "\.\.\/\.\.\/\.\.\/etc"; not a cell of proxy\.grid; cells are tiny-n20-s0/,
    );
  });
});

describe('a field the schema already refused gets one message, not a second derived one', () => {
  it('label.prompts = -3', () => {
    expect(edited((raw) => (raw.label.prompts = -3))).toEqual(['field "label.prompts": got -3; must be ≥ 1']);
  });
});

describe('proxy.grid.extraSeeds: more seeds at chosen sizes, checked against the grid', () => {
  const grid = (raw: Raw): Record<string, unknown> => raw.proxy.grid as Record<string, unknown>;
  const withExtra = (extraSeeds: unknown) => (raw: Raw) => {
    grid(raw).extraSeeds = extraSeeds;
  };

  it('accepts extra seeds at one size, and bon and ppo may name the extra cells', () => {
    accepted((raw) => {
      grid(raw).extraSeeds = { sizes: ['small'], seeds: [1, 2] };
      raw.bon.proxies = ['tiny-n20-s0', 'small-n60-s2'];
      raw.ppo!.proxies = ['small-n20-s1'];
    });
  });

  it('refuses a cell the extra seeds do not make, listing the cells there are', () => {
    expect(
      edited((raw) => {
        grid(raw).extraSeeds = { sizes: ['small'], seeds: [1] };
        raw.ppo!.proxies = ['tiny-n20-s1'];
      }),
    ).toEqual([
      'field "ppo.proxies.0": got "tiny-n20-s1"; not a cell of proxy.grid; cells are tiny-n20-s0, tiny-n60-s0, small-n20-s0, small-n20-s1, small-n60-s0, small-n60-s1',
    ]);
  });

  const cases: [string, unknown, string[]][] = [
    ['no sizes', { sizes: [], seeds: [1] }, ['field "proxy.grid.extraSeeds.sizes": got []; must be ≥ 1 items']],
    ['no seeds', { sizes: ['tiny'], seeds: [] }, ['field "proxy.grid.extraSeeds.seeds": got []; must be ≥ 1 items']],
    [
      'a size not in the grid',
      { sizes: ['tiny', 'huge'], seeds: [1] },
      ['field "proxy.grid.extraSeeds.sizes.1": got "huge"; not in proxy.grid.sizes (tiny, small)'],
    ],
    [
      'a repeated size',
      { sizes: ['tiny', 'tiny'], seeds: [1] },
      ['field "proxy.grid.extraSeeds.sizes.1": got "tiny"; duplicate of proxy.grid.extraSeeds.sizes.0: each entry may appear once'],
    ],
    [
      'a repeated seed',
      { sizes: ['tiny'], seeds: [1, 2, 1] },
      ['field "proxy.grid.extraSeeds.seeds.2": got 1; duplicate of proxy.grid.extraSeeds.seeds.0: each entry may appear once'],
    ],
    [
      'a seed every size already trains',
      { sizes: ['tiny'], seeds: [1, 0] },
      ['field "proxy.grid.extraSeeds.seeds.1": got 0; already in proxy.grid.seeds (0), which every size trains; extra seeds must be other integers ≥ 0'],
    ],
    ['a negative seed', { sizes: ['tiny'], seeds: [-1] }, ['field "proxy.grid.extraSeeds.seeds.0": got -1; must be ≥ 0']],
    ['a fractional seed', { sizes: ['tiny'], seeds: [1.5] }, ['field "proxy.grid.extraSeeds.seeds.0": got 1.5; expected int']],
    ['an unknown field', { sizes: ['tiny'], seeds: [1], comparisons: [20] }, ['unknown field "proxy.grid.extraSeeds.comparisons"; allowed here: sizes, seeds']],
  ];
  it.each(cases)('refuses %s, naming the field', (_, extraSeeds, expected) => {
    expect(edited(withExtra(extraSeeds))).toEqual(expected);
  });

  it('counts the extra cells against the cell limit', () => {
    // 2 sizes × 100 comparison counts × 1 seed = 200 cells is within the limit; 1 size × 100 × 1 extra seed more is not.
    const comparisons = Array.from({ length: 100 }, (_, i) => i + 1);
    accepted((raw) => (grid(raw).comparisons = comparisons));
    const problems = edited((raw) => {
      grid(raw).comparisons = comparisons;
      grid(raw).extraSeeds = { sizes: ['small'], seeds: [1] };
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^field "proxy\.grid": got .*; 2 sizes × 100 comparison counts × 1 seeds \+ 1 sizes × 100 comparison counts × 1 extra seeds = 300 cells; at most 256 are allowed \(each cell is an Nx project of every command\)$/,
    );
  });
});
