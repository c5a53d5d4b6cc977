import { join } from 'node:path';
import {
  CURVES_BY_PROMPT_TABLE,
  CURVES_TABLE,
  EVAL_PROMPTS_TABLE,
  REGRESSIONAL_TABLE,
  POOL_PROMPTS_TABLE,
  POOL_TABLE,
  SCORES_TABLE,
  packagesCodeVersion,
  cellName,
  gridCells,
  parseCell,
  loadPipeline,
  openStage,
  Progress,
  readParquetFile,
  Rng,
  stageConfig,
  stageName,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type PipelineConfig,
  type StageOutput,
} from '@goodhart/core';
import { openGold, readGoldUnits } from '@goodhart/gold';
import {
  engineCodeVersion,
  initEngine,
  readPretrainArtifacts,
  readProxyCell,
  readPromptsFile,
  groupByPrompt,
  scorePromptPool,
  type ComputeOptions,
} from '@goodhart/model';
import { bestOfNCurves, type CurvePoint, type OveroptimizationCheck, type PromptPool } from './curves.ts';
import { oneTwoFiveGrid, samplePool } from './pool.ts';
import { regressionalCheck } from './regressional.ts';

export const STAGE = stageName('bonPool');
/** Prompts of the synthetic regressional-Goodhart pool (finding 8), at least. */
const REGRESSIONAL_MIN_PROMPTS = 200;

/** The proxy cells best-of-n runs against: bon.proxies, or every cell of proxy.grid. */
export function bonProxies(config: PipelineConfig): string[] {
  const grid = gridCells(config).map(cellName);
  const chosen = config.bon.proxies ?? grid;
  for (const cell of chosen) {
    if (!grid.includes(cell)) throw new Error(`bon.proxies names "${cell}", which is not a cell of proxy.grid (${grid.join(', ')})`);
  }
  return chosen;
}

export function bonCurveNs(config: PipelineConfig): number[] {
  return config.bon.curves.ns ?? oneTwoFiveGrid(config.bon.pool.samplesPerPrompt);
}

/** Samples the pool once: N responses per evaluation prompt from the initial policy, each scored by gold and the human. */
export async function runPool(
  options: ComputeOptions & { preset: string; root?: string; log?: (line: string) => void },
): Promise<{ outputDir: string; samples: number; distinct: number }> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config.name, 'pretrain'));
  const label = await openStage(root, config.name, 'label');
  const units = await readGoldUnits(label);
  const prompts = (await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file))).slice(0, config.bon.pool.prompts);
  const policySize = config.policy.sizes[0];
  const policy = await pretrained.loadLanguageModel(policySize);
  const gold = await openGold(root, config);
  const outputDir = stageOutputDir(root, config.name, 'bonPool');
  let distinct = 0;
  let samples = 0;
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'bonPool'),
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'gold', 'bon']),
      upstream: [pretrained.output.ref(), label.ref(), ...gold.upstream],
    },
    async (staging) => {
      log(
        `best-of-n pool: ${config.bon.pool.samplesPerPrompt} samples for each of ${prompts.length} evaluation prompts from the initial policy "${policySize}"`,
      );
      const pool = samplePool(
        policy,
        prompts,
        { ...config.bon.pool, responseTokens: config.label.responseTokens, temperature: config.label.temperature, stopToken: pretrained.tokenizer.endOfText },
        Rng.fromSeed(config.seed, 'bon/pool'),
      );
      const texts = pool.map((s) => pretrained.tokenizer.decode(s.tokens));
      const promptTokens = new Map(prompts.map((p) => [p.promptId, p.tokens]));
      const progress = new Progress({
        label: `bon pool: ${gold.kind === 'model' ? 'gold RM and human' : 'human'} scores`,
        total: pool.length,
        unit: 'samples',
      });
      const scores = gold.score(pool.map((s, i) => ({ promptTokens: promptTokens.get(s.promptId)!, responseTokens: s.tokens, text: texts[i] })));
      progress.update(pool.length);
      distinct = new Set(pool.map((s) => `${s.promptId}:${s.tokens.join(',')}`)).size;
      samples = pool.length;
      await writeParquetFile(
        join(staging, POOL_TABLE.file),
        POOL_TABLE.fromRows(
          pool.map((s, i) => ({
            prompt_id: s.promptId,
            sample_index: s.sampleIndex,
            response_tokens: s.tokens,
            response: texts[i],
            gold_raw: scores.gold[i],
            gold: (scores.gold[i] - units.gold.mean) / units.gold.std,
            human_raw: scores.human[i],
            human: (scores.human[i] - units.human.mean) / units.human.std,
          })),
        ),
      );
      await writeParquetFile(
        join(staging, POOL_PROMPTS_TABLE.file),
        POOL_PROMPTS_TABLE.fromRows(prompts.map((p) => ({ prompt_id: p.promptId, text: p.text, tokens: p.tokens }))),
      );
    },
  );
  policy.dispose();
  gold.dispose();
  return { outputDir, samples, distinct };
}

/** Scores the pool with one proxy (raw output + its centring shift). Identical responses are scored once. */
export async function runScore(options: ComputeOptions & { preset: string; cell: string; root?: string }): Promise<{ outputDir: string }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  if (!bonProxies(config).includes(options.cell))
    throw new Error(`cell "${options.cell}" is not among the best-of-n proxies: ${bonProxies(config).join(', ')}`);
  await initEngine(options);
  const poolOutput = await openStage(root, config.name, 'bonPool');
  const proxyCell = await readProxyCell(await openStage(root, config.name, 'proxyCell', options.cell));
  const proxyOutput = proxyCell.output;
  const { shift } = proxyCell;
  const model = await proxyCell.loadRewardModel();
  const pool = await readPool(poolOutput);
  const outputDir = stageOutputDir(root, config.name, 'bonScore', options.cell);
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: { ...stageConfig(config, 'bonScore'), cell: options.cell },
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'bon']),
      upstream: [poolOutput.ref(), proxyOutput.ref()],
    },
    async (staging) => {
      // Distinct responses grouped by prompt: each prompt is encoded once for all of its responses.
      const { groups, slots: slot } = groupByPrompt(pool.map((s) => ({ prompt: pool.promptTokens.get(s.promptId)!, response: s.tokens })));
      const total = groups.reduce((n, g) => n + g.responses.length, 0);
      const progress = new Progress({ label: `bon score ${options.cell}`, total, unit: 'sequences' });
      const scores = scorePromptPool(model, groups, config.bon.scoring.batchSize, (done) => progress.update(done));
      await writeParquetFile(
        join(staging, SCORES_TABLE.file),
        SCORES_TABLE.fromRows(pool.map((s, i) => ({ prompt_id: s.promptId, sample_index: s.sampleIndex, proxy: scores[slot[i]] + shift }))),
      );
    },
  );
  model.dispose();
  return { outputDir };
}

export interface ProxyCurve {
  cell: string;
  size: string;
  comparisons: number;
  seed: number;
  points: CurvePoint[];
  check: OveroptimizationCheck;
  /** perPromptGold[j][k]: prompt promptIds[k]'s best-of-n gold estimate at points[j]. */
  perPromptGold: Float64Array[];
  /** The same for the human's score of the best of n. */
  perPromptHuman: Float64Array[];
  promptIds: number[];
}

/** Best-of-n curves for every proxy from the shared pool and each proxy's scores. */
export async function runCurves(options: { preset: string; root?: string }): Promise<{ outputDir: string; curves: ProxyCurve[] }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  const poolOutput = await openStage(root, config.name, 'bonPool');
  const pool = await readPool(poolOutput);
  const ns = bonCurveNs(config);
  const outputs: StageOutput[] = [];
  const curves: ProxyCurve[] = [];
  for (const cell of bonProxies(config)) {
    const output = await openStage(root, config.name, 'bonScore', cell);
    outputs.push(output);
    const scoresPath = output.file(SCORES_TABLE.file);
    const scores = SCORES_TABLE.rows(await readParquetFile(scoresPath), scoresPath);
    if (scores.length !== pool.length || scores.some((row, i) => row.prompt_id !== pool[i].promptId || row.sample_index !== pool[i].sampleIndex)) {
      throw new Error(`${scoresPath} (made by stage '${STAGE}') does not match the pool (${scores.length} rows, pool ${pool.length})`);
    }
    const byPrompt = new Map<number, { gold: number[]; human: number[]; proxy: number[]; keys: string[] }>();
    pool.forEach((s, i) => {
      const entry = byPrompt.get(s.promptId) ?? { gold: [], human: [], proxy: [], keys: [] };
      entry.gold.push(s.gold);
      entry.human.push(s.human);
      entry.proxy.push(Number(scores[i].proxy));
      entry.keys.push(s.tokens.join(','));
      byPrompt.set(s.promptId, entry);
    });
    const pools: PromptPool[] = [...byPrompt.entries()].map(([promptId, p]) => ({
      promptId,
      gold: Float64Array.from(p.gold),
      human: Float64Array.from(p.human),
      proxy: Float64Array.from(p.proxy),
      keys: p.keys,
    }));
    const { points, check, perPromptGold, perPromptHuman, promptIds } = bestOfNCurves(pools, ns, {
      resamples: config.bon.curves.bootstrapResamples,
      confidence: config.bon.curves.confidence,
      rng: Rng.fromSeed(config.seed, `bon/bootstrap/${cell}`),
    });
    curves.push({ cell, ...parseCell(cell, config), points, check, perPromptGold, perPromptHuman, promptIds });
  }
  // Synthetic and cheap, so more prompts than the real pool: tight enough intervals to test the closed form.
  const poolGoldStd = standardDeviation(pool.map((s) => s.gold));
  const regressionalPrompts = Math.max(REGRESSIONAL_MIN_PROMPTS, new Set(pool.map((s) => s.promptId)).size);
  const regressional = regressionalCheck({ prompts: regressionalPrompts, samplesPerPrompt: config.bon.pool.samplesPerPrompt }, ns, {
    goldStd: poolGoldStd,
    // Noise as large as the gold's spread: ρ = 1/√2.
    noiseStd: poolGoldStd,
    resamples: config.bon.curves.bootstrapResamples,
    confidence: config.bon.curves.confidence,
    rng: Rng.fromSeed(config.seed, 'bon/regressional'),
  });
  const outputDir = stageOutputDir(root, config.name, 'bonCurves');
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: { ...stageConfig(config, 'bonCurves'), proxies: bonProxies(config) },
      seed: config.seed,
      codeVersion: packagesCodeVersion(root, ['core', 'bon']),
      upstream: [poolOutput.ref(), ...outputs.map((o) => o.ref())],
    },
    async (staging) => {
      const rows = curves.flatMap((c) => c.points.map((p) => ({ c, p })));
      await writeParquetFile(
        join(staging, CURVES_TABLE.file),
        CURVES_TABLE.fromRows(
          rows.map(({ c, p }) => ({
            proxy: c.cell,
            size: c.size,
            comparisons: c.comparisons,
            seed: c.seed,
            n: p.n,
            kl: p.kl,
            d: p.d,
            kl_exact: p.klExact,
            gold: p.gold.mean,
            gold_low: p.gold.low,
            gold_high: p.gold.high,
            proxy_score: p.proxy.mean,
            proxy_low: p.proxy.low,
            proxy_high: p.proxy.high,
            // The human's score of the same best-of-n samples: the outer Goodhart curve beside the gold.
            human: p.human.mean,
            human_low: p.human.low,
            human_high: p.human.high,
          })),
        ),
      );
      // Per-prompt estimates, so the fit stage can bootstrap its fits over prompts.
      const byPrompt = curves.flatMap((c) =>
        c.points.flatMap((p, j) =>
          c.promptIds.map((promptId, k) => ({
            proxy: c.cell,
            n: p.n,
            d: p.d,
            prompt_id: promptId,
            gold: c.perPromptGold[j][k],
            human: c.perPromptHuman[j][k],
          })),
        ),
      );
      await writeParquetFile(join(staging, CURVES_BY_PROMPT_TABLE.file), CURVES_BY_PROMPT_TABLE.fromRows(byPrompt));
      await writeParquetFile(
        join(staging, REGRESSIONAL_TABLE.file),
        REGRESSIONAL_TABLE.fromRows(
          regressional.points.map((p) => ({
            n: p.n,
            d: p.d,
            gold: p.gold.mean,
            gold_low: p.gold.low,
            gold_high: p.gold.high,
            predicted: p.predicted,
            rho: regressional.rho,
            gold_std: regressional.goldStd,
            noise_std: regressional.noiseStd,
          })),
        ),
      );
    },
  );
  return { outputDir, curves };
}

interface PoolRows extends Array<{ promptId: number; sampleIndex: number; tokens: number[]; gold: number; human: number }> {
  promptTokens: Map<number, number[]>;
}

async function readPool(output: StageOutput): Promise<PoolRows> {
  const path = output.file(POOL_TABLE.file);
  const rows = POOL_TABLE.rows(await readParquetFile(path), path).map((row) => ({
    promptId: row.prompt_id,
    sampleIndex: row.sample_index,
    tokens: [...row.response_tokens],
    gold: Number(row.gold),
    human: Number(row.human),
  })) as PoolRows;
  rows.promptTokens = new Map((await readPromptsFile(output.file(POOL_PROMPTS_TABLE.file))).map((p) => [p.promptId, p.tokens]));
  return rows;
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}
