import type { z } from 'zod';
import { cellCount } from './pipeline/naming.ts';
import { withSweepDefaults } from './pipeline/sweep-defaults.ts';

/**
 * Cross-field checks of a pipeline file that the field-by-field schema cannot express: each catches at load a
 * mistake that would otherwise fail (or silently misbehave) hours later in some stage, and names the fields.
 */

/** Most proxy RMs (grid cells) a preset may have. Each cell is an Nx project, and Nx reads every preset's cells
 * whenever it runs, so thousands of cells make every command of every preset take minutes. The paper preset has 25. */
export const MAX_GRID_CELLS = 256;
/** Most PPO runs (proxies × KL coefficients × policies) a preset may have, for the same reason. */
export const MAX_PPO_RUNS = 256;
/** A preset's free-text description: a paragraph, not a data file (every stage loads the config). */
export const MAX_DESCRIPTION_CHARACTERS = 10_000;
/** Below this sampling temperature sampling is effectively greedy: a prompt's samples are identical, so label has
 * no comparisons (ties are dropped) and gold no spread. */
export const MIN_TEMPERATURE = 0.05;

/** The fields the checks read: a structural view of the parsed config, so this file does not depend on the schema. */
export interface CheckedConfig {
  prompts: { minWords: number; maxTokens: number };
  pretrain: { contextLength: number; sizes: readonly string[] };
  policy: { sizes: readonly string[] };
  label: { prompts: number; samplesPerPrompt: number; validationFraction: number; responseTokens: number; temperature: number };
  proxy: {
    grid: {
      sizes: readonly string[];
      comparisons: readonly number[];
      seeds: readonly number[];
      extraSeeds?: { sizes: readonly string[]; seeds: readonly number[] } | undefined;
    };
  };
  bon: { pool: { samplesPerPrompt: number }; proxies?: readonly string[] | undefined; curves: { ns?: readonly number[] | undefined } };
  ppo?:
    | { proxies: readonly string[]; klCoefficients?: readonly number[] | undefined; policies?: readonly string[] | undefined; temperature: number }
    | undefined;
  dpo?: { proxies: readonly string[]; losses?: readonly string[] | undefined; betas: readonly number[] } | undefined;
}

type Issue = { path: (string | number)[]; input: unknown; message: string };

/** Every list whose entries name things (sizes, cells) or sweep values: a repeated entry would run or report twice. */
function lists(config: CheckedConfig): [string[], readonly (string | number)[] | undefined][] {
  return [
    [['pretrain', 'sizes'], config.pretrain.sizes],
    [['policy', 'sizes'], config.policy.sizes],
    [['proxy', 'grid', 'sizes'], config.proxy.grid.sizes],
    [['proxy', 'grid', 'comparisons'], config.proxy.grid.comparisons],
    [['proxy', 'grid', 'seeds'], config.proxy.grid.seeds],
    [['proxy', 'grid', 'extraSeeds', 'sizes'], config.proxy.grid.extraSeeds?.sizes],
    [['proxy', 'grid', 'extraSeeds', 'seeds'], config.proxy.grid.extraSeeds?.seeds],
    [['bon', 'proxies'], config.bon.proxies],
    [['bon', 'curves', 'ns'], config.bon.curves.ns],
    [['ppo', 'proxies'], config.ppo?.proxies],
    [['ppo', 'klCoefficients'], config.ppo?.klCoefficients],
    [['ppo', 'policies'], config.ppo?.policies],
    [['dpo', 'proxies'], config.dpo?.proxies],
    [['dpo', 'losses'], config.dpo?.losses],
    [['dpo', 'betas'], config.dpo?.betas],
  ];
}

function duplicates(config: CheckedConfig): Issue[] {
  const issues: Issue[] = [];
  for (const [path, values] of lists(config)) {
    const first = new Map<string | number, number>();
    values?.forEach((value, i) => {
      const earlier = first.get(value);
      if (earlier === undefined) first.set(value, i);
      else issues.push({ path: [...path, i], input: value, message: `duplicate of ${path.join('.')}.${earlier}: each entry may appear once` });
    });
  }
  return issues;
}

/** Training prompts label keeps for RM training: its own split rule (at least one prompt is held out for validation). */
export function labelTrainingPrompts(label: CheckedConfig['label']): number {
  return label.prompts - Math.max(1, Math.round(label.validationFraction * label.prompts));
}

function sizes(config: CheckedConfig): Issue[] {
  const issues: Issue[] = [];
  const { grid } = config.proxy;
  const cells = cellCount(grid);
  if (cells > MAX_GRID_CELLS) {
    const product = `${grid.sizes.length} sizes × ${grid.comparisons.length} comparison counts × ${grid.seeds.length} seeds`;
    const extra = grid.extraSeeds
      ? ` + ${grid.sizes.filter((size) => grid.extraSeeds?.sizes.includes(size)).length} sizes × ${grid.comparisons.length} comparison counts × ${grid.extraSeeds.seeds.length} extra seeds`
      : '';
    issues.push({
      path: ['proxy', 'grid'],
      input: undefined,
      message: `${product}${extra} = ${cells} cells; at most ${MAX_GRID_CELLS} are allowed (each cell is an Nx project of every command)`,
    });
  }
  if (config.ppo) {
    const sweep = withSweepDefaults(config.ppo, config.policy.sizes);
    const policies = sweep.policies.length;
    const runs = config.ppo.proxies.length * sweep.klCoefficients.length * policies;
    if (runs > MAX_PPO_RUNS) {
      issues.push({
        path: ['ppo'],
        input: undefined,
        message: `${config.ppo.proxies.length} proxies × ${sweep.klCoefficients.length} KL coefficients × ${policies} policies = ${runs} runs; at most ${MAX_PPO_RUNS} are allowed`,
      });
    }
  }
  if (config.dpo) {
    const losses = config.dpo.losses?.length ?? 1;
    const runs = config.dpo.proxies.length * losses * config.dpo.betas.length;
    if (runs > MAX_PPO_RUNS) {
      issues.push({
        path: ['dpo'],
        input: undefined,
        message: `${config.dpo.proxies.length} proxies × ${losses} losses × ${config.dpo.betas.length} betas = ${runs} runs; at most ${MAX_PPO_RUNS} are allowed`,
      });
    }
  }
  return issues;
}

/** proxy.grid.extraSeeds adds seeds at sizes of the grid: each size must be one, and each seed a new one. */
function extraSeeds(config: CheckedConfig): Issue[] {
  const { grid } = config.proxy;
  if (!grid.extraSeeds) return [];
  const path = ['proxy', 'grid', 'extraSeeds'];
  const sizeIssues = grid.extraSeeds.sizes.flatMap((size, i) =>
    grid.sizes.includes(size) ? [] : [{ path: [...path, 'sizes', i], input: size, message: `not in proxy.grid.sizes (${grid.sizes.join(', ')})` }],
  );
  const seedIssues = grid.extraSeeds.seeds.flatMap((seed, i) =>
    grid.seeds.includes(seed)
      ? [
          {
            path: [...path, 'seeds', i],
            input: seed,
            message: `already in proxy.grid.seeds (${grid.seeds.join(', ')}), which every size trains; extra seeds must be other integers ≥ 0`,
          },
        ]
      : [],
  );
  return [...sizeIssues, ...seedIssues];
}

function lengths(config: CheckedConfig): Issue[] {
  const issues: Issue[] = [];
  const { prompts, pretrain, label } = config;
  if (prompts.maxTokens + label.responseTokens > pretrain.contextLength) {
    issues.push({
      path: ['label', 'responseTokens'],
      input: label.responseTokens,
      message: `prompts.maxTokens (${prompts.maxTokens}) + label.responseTokens (${label.responseTokens}) = ${prompts.maxTokens + label.responseTokens} tokens exceeds pretrain.contextLength (${pretrain.contextLength}): a prompt and its response must fit in the context`,
    });
  }
  if (prompts.minWords > prompts.maxTokens) {
    issues.push({
      path: ['prompts', 'minWords'],
      input: prompts.minWords,
      message: `must be ≤ prompts.maxTokens (${prompts.maxTokens}): every word is at least one token`,
    });
  }
  return issues;
}

function comparisons(config: CheckedConfig): Issue[] {
  const issues: Issue[] = [];
  const { label } = config;
  // A label.prompts the schema already refused (not a positive integer) needs no second message.
  if (!(Number.isInteger(label.prompts) && label.prompts >= 1)) return issues;
  const trainPrompts = labelTrainingPrompts(label);
  const split = `label.prompts (${label.prompts}) less the max(1, round(label.validationFraction × label.prompts)) held out for validation`;
  if (trainPrompts < 1) {
    issues.push({
      path: ['label', 'prompts'],
      input: label.prompts,
      message: `${split} leaves no prompt for RM training, so there would be no training comparisons`,
    });
    return issues;
  }
  const pairs = trainPrompts * ((label.samplesPerPrompt * (label.samplesPerPrompt - 1)) / 2);
  config.proxy.grid.comparisons.forEach((n, i) => {
    if (n > pairs) {
      issues.push({
        path: ['proxy', 'grid', 'comparisons', i],
        input: n,
        message: `label can make at most ${pairs} training comparisons: ${trainPrompts} prompts (${split}) × ${label.samplesPerPrompt}·${label.samplesPerPrompt - 1}/2 pairs of label.samplesPerPrompt (fewer after ties are dropped)`,
      });
    }
  });
  return issues;
}

function curves(config: CheckedConfig): Issue[] {
  const { ns } = config.bon.curves;
  // The best-of-n fit gold = d(α − βd) has two coefficients; n = 1 is the initial policy itself (d = 0).
  if (ns === undefined) {
    if (config.bon.pool.samplesPerPrompt < 3) {
      return [
        {
          path: ['bon', 'pool', 'samplesPerPrompt'],
          input: config.bon.pool.samplesPerPrompt,
          message: 'must be ≥ 3 when bon.curves.ns is absent: the default ns (the 1-2-5 grid up to it) needs two n > 1 for the best-of-n fit',
        },
      ];
    }
    return [];
  }
  if (new Set(ns.filter((n) => n > 1)).size < 2) {
    return [
      {
        path: ['bon', 'curves', 'ns'],
        input: ns,
        message: 'needs at least two distinct n > 1: the best-of-n fit has two coefficients, and n = 1 is the initial policy (d = 0)',
      },
    ];
  }
  return [];
}

function temperatures(config: CheckedConfig): Issue[] {
  const found: [(string | number)[], number][] = [[['label', 'temperature'], config.label.temperature]];
  if (config.ppo) found.push([['ppo', 'temperature'], config.ppo.temperature]);
  return found
    .filter(([, t]) => t < MIN_TEMPERATURE)
    .map(([path, t]) => ({
      path,
      input: t,
      message: `must be ≥ ${MIN_TEMPERATURE}: below that sampling is effectively greedy, a prompt's samples are identical, and label gets no comparisons (ties are dropped) and gold no spread`,
    }));
}

/** Adds an issue for every cross-field inconsistency; call from the schema's superRefine. */
export function checkLimits(config: CheckedConfig, ctx: z.RefinementCtx): void {
  for (const issue of [
    ...duplicates(config),
    ...extraSeeds(config),
    ...sizes(config),
    ...lengths(config),
    ...comparisons(config),
    ...curves(config),
    ...temperatures(config),
  ]) {
    ctx.addIssue({ code: 'custom', ...issue });
  }
}
