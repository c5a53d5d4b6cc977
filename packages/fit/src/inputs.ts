import {
  CURVES_BY_PROMPT_TABLE,
  CURVES_TABLE,
  DPO_CURVES_BY_PROMPT_TABLE,
  DPO_CURVES_TABLE,
  KL_COLUMNS,
  KL_ESTIMATORS,
  findSource,
  memberNames,
  PPO_CURVES_BY_PROMPT_TABLE,
  PPO_CURVES_TABLE,
  PRETRAIN_SUMMARY_TABLE,
  PROXY_METRICS_TABLE,
  REGRESSIONAL_TABLE,
  loadPipeline,
  openStage,
  readParquetFile,
  stageHint,
  stageName,
  type KlEstimator,
  type PipelineConfig,
  type RewardSource,
  type RowOf,
  type TableColumns,
  type TableSpec,
  type StageId,
  type StageOutput,
} from '@goodhart/core';
import { declaredRows } from './declared-rows.ts';
import type {
  BonCurve,
  DpoCurve,
  FitInput,
  Interval,
  PolicyInfo,
  ProxyInfo,
  RegressionalCheck,
  RlCurve,
  SourceCurve,
  SourceRun,
  SourcesInput,
} from './types.ts';

/** The upstream outputs the fit stage reads, verified against their manifests. */
export interface FitSources {
  config: PipelineConfig;
  outputs: StageOutput[];
  input: FitInput;
}

type Row = Record<string, unknown>;

/**
 * Gathers what the fits need from the artifacts: proxy metrics (proxy summary), best-of-n curves with their
 * per-prompt estimates and the regressional check (bon curves), PPO curves with per-prompt means (ppo summary,
 * when the preset has runs), and policy sizes (pretrain's model configs).
 */
export async function readFitSources(root: string, preset: string): Promise<FitSources> {
  const config = loadPipeline(preset, root);
  const pretrain = await openStage(root, config.name, 'pretrain');
  const proxySummary = await openStage(root, config.name, 'proxySummary');
  const bonCurves = await openStage(root, config.name, 'bonCurves');
  // A preset with a ppo section has runs (the schema requires proxies), so a PPO summary runs before fit.
  const ppoSummary = config.ppo ? await openStage(root, config.name, 'ppoSummary') : undefined;
  // Likewise a dpo section has runs, so a DPO summary runs before fit.
  const dpoSummary = config.dpo ? await openStage(root, config.name, 'dpoSummary') : undefined;
  const outputs = [pretrain, proxySummary, bonCurves, ...(ppoSummary ? [ppoSummary] : []), ...(dpoSummary ? [dpoSummary] : [])];

  const entryOf = new Map<StageOutput, StageId>([
    [pretrain, 'pretrain'],
    [proxySummary, 'proxySummary'],
    [bonCurves, 'bonCurves'],
    ...(ppoSummary ? [[ppoSummary, 'ppoSummary'] as const] : []),
    ...(dpoSummary ? [[dpoSummary, 'dpoSummary'] as const] : []),
  ]);
  /** Typed rows of a declared table, checked against its declaration (see declaredRows). */
  const declared = async <C extends TableColumns>(output: StageOutput, spec: TableSpec<C>): Promise<RowOf<C>[]> => {
    const path = output.file(spec.file);
    const entry = entryOf.get(output);
    const rerun = entry ? stageHint(config.name, entry) : `npm run pipeline -- --preset ${config.name}`;
    return declaredRows(spec, await readParquetFile(path), path, output.manifest.stage, rerun);
  };
  const proxies: ProxyInfo[] = (await declared(proxySummary, PROXY_METRICS_TABLE)).map((r) => ({
    cell: r.cell,
    size: r.size,
    parameters: r.non_embedding_parameters,
    comparisons: r.comparisons,
    seed: r.seed,
    validationLoss: Number(r.validation_loss),
    validationAccuracy: Number(r.validation_accuracy),
  }));
  const proxyOf = (cell: string, file: string): ProxyInfo => {
    const proxy = proxies.find((p) => p.cell === cell);
    if (!proxy)
      throw new Error(
        `${file} names proxy "${cell}", which ${proxySummary.file(PROXY_METRICS_TABLE.file)} (made by stage '${stageName('proxySummary')}') does not list`,
      );
    return proxy;
  };

  const pretrainSizes = await declared(pretrain, PRETRAIN_SUMMARY_TABLE);
  const policies: PolicyInfo[] = config.policy.sizes.map((size) => {
    const row = pretrainSizes.find((r) => r.size === size);
    if (!row) throw new Error(`${pretrain.file(PRETRAIN_SUMMARY_TABLE.file)} (made by stage '${stageName('pretrain')}') has no row for policy size "${size}"`);
    return { size, parameters: row.non_embedding_parameters };
  });

  // A source's rows go to `sources`; the paper's findings and fits read the cells' rows only.
  const isSource = (name: string): boolean => findSource(name, config) !== undefined;
  const bonRows = await declared(bonCurves, CURVES_TABLE);
  const bonByPrompt = await declared(bonCurves, CURVES_BY_PROMPT_TABLE);
  const bon = bonCurvesFrom(
    bonRows.filter((r) => !isSource(r.proxy)),
    bonByPrompt.filter((r) => !isSource(r.proxy)),
    (cell) => proxyOf(cell, bonCurves.file(CURVES_TABLE.file)),
  );
  const regressional = regressionalFrom(await declared(bonCurves, REGRESSIONAL_TABLE));
  // A run's proxy, policy and β_KL are columns of its rows: what the run was, as it wrote it.
  const ppoRows = ppoSummary ? await declared(ppoSummary, PPO_CURVES_TABLE) : [];
  const ppoByPrompt = ppoSummary ? await declared(ppoSummary, PPO_CURVES_BY_PROMPT_TABLE) : [];
  const sourceRuns = new Set(ppoRows.filter((r) => isSource(r.proxy)).map((r) => r.run));
  const rl = ppoSummary
    ? rlCurvesFrom(
        ppoRows.filter((r) => !sourceRuns.has(r.run)),
        ppoByPrompt.filter((r) => !sourceRuns.has(r.run)),
        (run, rows) => {
          const file = ppoSummary.file(PPO_CURVES_TABLE.file);
          const identity = runIdentity(run, rows, file);
          const policy = policies.find((p) => p.size === identity.policy);
          if (!policy)
            throw new Error(`${file}: PPO run ${run} trains policy "${identity.policy}", which is not in policy.sizes (${config.policy.sizes.join(', ')})`);
          return { proxy: proxyOf(identity.proxy, file), policy, klCoefficient: identity.klCoefficient };
        },
      )
    : [];
  const dpo = dpoSummary
    ? dpoCurvesFrom(await declared(dpoSummary, DPO_CURVES_TABLE), await declared(dpoSummary, DPO_CURVES_BY_PROMPT_TABLE), (run, row) => {
        const file = dpoSummary.file(DPO_CURVES_TABLE.file);
        const policy = policies.find((p) => p.size === row.policy);
        if (!policy) throw new Error(`${file}: DPO run ${run} trains policy "${row.policy}", which is not in policy.sizes (${config.policy.sizes.join(', ')})`);
        if (row.loss !== 'dpo' && row.loss !== 'ipo') throw new Error(`${file}: DPO run ${run} has loss "${row.loss}"; expected "dpo" or "ipo"`);
        return { proxy: proxyOf(row.proxy, file), policy, loss: row.loss, beta: Number(row.beta) };
      })
    : [];
  return {
    config,
    outputs,
    input: {
      preset: config.name,
      goldKind: config.gold.kind,
      proxies,
      policies,
      bon,
      rl,
      dpo,
      regressional,
      sources: config.sources
        ? sourcesFrom(
            config.sources,
            { curves: bonRows.filter((r) => isSource(r.proxy)), byPrompt: bonByPrompt.filter((r) => isSource(r.proxy)) },
            { curves: ppoRows.filter((r) => sourceRuns.has(r.run)), byPrompt: ppoByPrompt.filter((r) => sourceRuns.has(r.run)) },
          )
        : null,
      options: { ...config.fit, seed: config.seed },
    },
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

const interval = (r: Row, name: string): { mean: number; low: number; high: number } => ({
  mean: Number(r[name]),
  low: Number(r[`${name}_low`]),
  high: Number(r[`${name}_high`]),
});

/** perPrompt[j][p] for the points' keys, prompts in one fixed order (ascending id) for every point. */
function perPromptMatrix(byPrompt: readonly Row[], pointKey: string, keys: readonly number[], value: string, what: string): Float64Array[] {
  const prompts = [...new Set(byPrompt.map((r) => Number(r.prompt_id)))].sort((a, b) => a - b);
  return keys.map((key) => {
    const rows = byPrompt.filter((r) => Number(r[pointKey]) === key);
    const values = new Map(rows.map((r) => [Number(r.prompt_id), Number(r[value])]));
    if (values.size !== prompts.length)
      throw new Error(`${what}: per-prompt estimates at ${pointKey} ${key} cover ${values.size} of ${prompts.length} prompts`);
    return Float64Array.from(prompts, (p) => values.get(p)!);
  });
}

type BonCurveRow = RowOf<typeof CURVES_TABLE.columns>;
type BonByPromptRow = RowOf<typeof CURVES_BY_PROMPT_TABLE.columns>;

function bonCurvesFrom(curveRows: BonCurveRow[], byPromptRows: BonByPromptRow[], proxyOf: (cell: string) => ProxyInfo): BonCurve[] {
  const byPrompt = groupBy(byPromptRows, (r) => r.proxy);
  return [...groupBy(curveRows, (r) => r.proxy)].map(([cell, rows]) => {
    const sorted = [...rows].sort((a, b) => a.n - b.n);
    return {
      proxy: proxyOf(cell),
      points: sorted.map((r) => ({
        n: r.n,
        kl: Number(r.kl),
        d: Number(r.d),
        gold: interval(r, 'gold'),
        human: interval(r, 'human'),
        proxy: { mean: Number(r.proxy_score), low: Number(r.proxy_low), high: Number(r.proxy_high) },
      })),
      perPromptGold: perPromptMatrix(
        byPrompt.get(cell) ?? [],
        'n',
        sorted.map((r) => r.n),
        'gold',
        `best-of-n proxy ${cell}`,
      ),
      perPromptHuman: perPromptMatrix(
        byPrompt.get(cell) ?? [],
        'n',
        sorted.map((r) => r.n),
        'human',
        `best-of-n proxy ${cell}`,
      ),
    };
  });
}

type RlCurveRow = RowOf<typeof PPO_CURVES_TABLE.columns>;
type RlByPromptRow = RowOf<typeof PPO_CURVES_BY_PROMPT_TABLE.columns>;

/** The proxy, policy and β_KL every row of one run names; rows that disagree stop fit, naming the run and the file. */
export function runIdentity(run: string, rows: readonly RlCurveRow[], file: string): { proxy: string; policy: string; klCoefficient: number } {
  const [first] = rows;
  const identity = { proxy: first.proxy, policy: first.policy, klCoefficient: Number(first.kl_coefficient) };
  const other = rows.find((r) => r.proxy !== identity.proxy || r.policy !== identity.policy || Number(r.kl_coefficient) !== identity.klCoefficient);
  if (other) {
    throw new Error(
      `${file}: the rows of PPO run ${run} disagree on what the run is (proxy ${identity.proxy}, policy ${identity.policy}, kl_coefficient ${identity.klCoefficient} at step ${first.step}; proxy ${other.proxy}, policy ${other.policy}, kl_coefficient ${Number(other.kl_coefficient)} at step ${other.step})`,
    );
  }
  return identity;
}

function rlCurvesFrom(
  curveRows: RlCurveRow[],
  byPromptRows: RlByPromptRow[],
  describe: (run: string, rows: readonly RlCurveRow[]) => Pick<RlCurve, 'proxy' | 'policy' | 'klCoefficient'>,
): RlCurve[] {
  const byPrompt = groupBy(byPromptRows, (r) => r.run);
  return [...groupBy(curveRows, (r) => r.run)].map(([run, rows]) => {
    const sorted = [...rows].sort((a, b) => a.step - b.step);
    const steps = sorted.map((r) => r.step);
    return {
      run,
      ...describe(run, sorted),
      points: sorted.map((r) => ({
        step: r.step,
        kl: interval(r, KL_COLUMNS.exact),
        klEstimators: Object.fromEntries(KL_ESTIMATORS.map((estimator) => [estimator, interval(r, KL_COLUMNS[estimator])])) as Record<KlEstimator, Interval>,
        k1Negative: Number(r.kl_k1_negative),
        d: Number(r.d),
        gold: interval(r, 'gold'),
        human: interval(r, 'human'),
        proxy: { mean: Number(r.proxy_score), low: Number(r.proxy_low), high: Number(r.proxy_high) },
      })),
      perPromptKl: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, KL_COLUMNS.exact, `PPO run ${run}`),
      perPromptGold: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, 'gold', `PPO run ${run}`),
      perPromptHuman: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, 'human', `PPO run ${run}`),
    };
  });
}

type DpoCurveRow = RowOf<typeof DPO_CURVES_TABLE.columns>;
type DpoByPromptRow = RowOf<typeof DPO_CURVES_BY_PROMPT_TABLE.columns>;

/** DPO runs as curves of the RL shape: their `proxy` is the implicit reward β·KL of the evaluation samples. */
function dpoCurvesFrom(
  curveRows: DpoCurveRow[],
  byPromptRows: DpoByPromptRow[],
  describe: (run: string, first: DpoCurveRow) => Pick<DpoCurve, 'proxy' | 'policy' | 'loss' | 'beta'>,
): DpoCurve[] {
  const byPrompt = groupBy(byPromptRows, (r) => r.run);
  return [...groupBy(curveRows, (r) => r.run)].map(([run, rows]) => {
    const sorted = [...rows].sort((a, b) => a.step - b.step);
    const steps = sorted.map((r) => r.step);
    const implicit = (r: DpoCurveRow): { mean: number; low: number; high: number } => ({
      mean: Number(r.implicit_reward),
      low: Number(r.implicit_reward),
      high: Number(r.implicit_reward),
    });
    return {
      run,
      ...describe(run, sorted[0]),
      points: sorted.map((r) => ({
        step: r.step,
        kl: interval(r, 'kl'),
        d: Number(r.d),
        gold: interval(r, 'gold'),
        human: interval(r, 'human'),
        proxy: implicit(r),
      })),
      perPromptKl: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, 'kl', `DPO run ${run}`),
      perPromptGold: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, 'gold', `DPO run ${run}`),
      perPromptHuman: perPromptMatrix(byPrompt.get(run) ?? [], 'step', steps, 'human', `DPO run ${run}`),
    };
  });
}

function regressionalFrom(rows: RowOf<typeof REGRESSIONAL_TABLE.columns>[]): RegressionalCheck | null {
  if (rows.length === 0) return null;
  return {
    rho: Number(rows[0].rho),
    goldStd: Number(rows[0].gold_std),
    noiseStd: Number(rows[0].noise_std),
    points: rows.map((r) => ({ n: r.n, d: Number(r.d), gold: interval(r, 'gold'), predicted: Number(r.predicted) })),
  };
}

/** The declared sources' best-of-n curves and PPO runs, in the order of the tables. */
function sourcesFrom(
  declared: Readonly<Record<string, RewardSource>>,
  bon: { curves: BonCurveRow[]; byPrompt: BonByPromptRow[] },
  rl: { curves: RlCurveRow[]; byPrompt: RlByPromptRow[] },
): SourcesInput {
  const describe = (name: string): Pick<SourceCurve, 'name' | 'kind' | 'objective' | 'members'> => {
    const source = declared[name]!;
    return { name, kind: source.kind, objective: source.kind === 'ensemble' ? source.objective : '', members: memberNames(source) };
  };
  // A source's curve: its points in optimisation order (`xKey`: n or step) and its per-prompt gold.
  const curveOf = (sorted: readonly Row[], xKey: 'n' | 'step', byPrompt: readonly Row[], what: string): Pick<SourceCurve, 'points' | 'perPromptGold'> => ({
    points: sorted.map((r) => ({
      x: Number(r[xKey]),
      d: Number(r.d),
      gold: interval(r, 'gold'),
      proxy: { mean: Number(r.proxy_score), low: Number(r.proxy_low), high: Number(r.proxy_high) },
    })),
    perPromptGold: perPromptMatrix(
      byPrompt,
      xKey,
      sorted.map((r) => Number(r[xKey])),
      'gold',
      what,
    ),
  });
  const bonByPrompt = groupBy(bon.byPrompt, (r) => r.proxy);
  const bonCurves = [...groupBy(bon.curves, (r) => r.proxy)].map(
    ([name, rows]): SourceCurve => ({
      ...describe(name),
      ...curveOf(
        [...rows].sort((a, b) => a.n - b.n),
        'n',
        bonByPrompt.get(name) ?? [],
        `best-of-n source ${name}`,
      ),
    }),
  );
  const rlByPrompt = groupBy(rl.byPrompt, (r) => r.run);
  const runs = [...groupBy(rl.curves, (r) => r.run)].map(([run, rows]): SourceRun => {
    const sorted = [...rows].sort((a, b) => a.step - b.step);
    const identity = runIdentity(run, sorted, 'the PPO summary');
    return {
      ...describe(identity.proxy),
      run,
      policy: identity.policy,
      klCoefficient: identity.klCoefficient,
      ...curveOf(sorted, 'step', rlByPrompt.get(run) ?? [], `PPO run ${run}`),
    };
  });
  return { declared, bon: bonCurves, rl: runs };
}
