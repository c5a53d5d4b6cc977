import { join } from 'node:path';
import {
  CURVES_BY_PROMPT_TABLE,
  CURVES_TABLE,
  REGRESSIONAL_TABLE,
  SCORES_TABLE,
  packagesCodeVersion,
  proxyIdentity,
  loadPipeline,
  openStage,
  readParquetFile,
  Rng,
  stageConfig,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type PipelineConfig,
  type StageOutput,
} from '@goodhart/core';
import { bestOfNCurves, type CurvePoint, type OveroptimizationCheck, type PromptPool } from './curves.ts';
import { oneTwoFiveGrid } from './pool.ts';
import { regressionalCheck } from './regressional.ts';
import { sourceScores } from './source-scores.ts';
import { bonProxies, readPool, STAGE } from './stage-common.ts';

/** Prompts of the synthetic regressional-Goodhart pool (finding 8), at least. */
const REGRESSIONAL_MIN_PROMPTS = 200;

export function bonCurveNs(config: PipelineConfig): number[] {
  return config.bon.curves.ns ?? oneTwoFiveGrid(config.bon.pool.samplesPerPrompt);
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
  const poolOutput = await openStage(root, config, 'bonPool');
  const pool = await readPool(poolOutput);
  const ns = bonCurveNs(config);
  const opened = new Map<string, StageOutput>();
  /** One scoring's scores of the pool, in pool order, checked against the pool. */
  const scoresOf = async (model: string): Promise<Float64Array> => {
    const output = opened.get(model) ?? (await openStage(root, config, 'bonScore', model));
    opened.set(model, output);
    const scoresPath = output.file(SCORES_TABLE.file);
    const scores = SCORES_TABLE.rows(await readParquetFile(scoresPath), scoresPath);
    if (scores.length !== pool.length || scores.some((row, i) => row.prompt_id !== pool[i].promptId || row.sample_index !== pool[i].sampleIndex)) {
      throw new Error(`${scoresPath} (made by stage '${STAGE}') does not match the pool (${scores.length} rows, pool ${pool.length})`);
    }
    return Float64Array.from(scores, (row) => Number(row.proxy));
  };
  const curves: ProxyCurve[] = [];
  for (const cell of bonProxies(config)) {
    const proxyScores = await sourceScores(cell, config, scoresOf);
    const byPrompt = new Map<number, { gold: number[]; human: number[]; proxy: number[]; keys: string[] }>();
    pool.forEach((s, i) => {
      const entry = byPrompt.get(s.promptId) ?? { gold: [], human: [], proxy: [], keys: [] };
      entry.gold.push(s.gold);
      entry.human.push(s.human);
      entry.proxy.push(proxyScores[i]);
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
    curves.push({ cell, ...proxyIdentity(cell, config), points, check, perPromptGold, perPromptHuman, promptIds });
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
      upstream: [poolOutput.ref(), ...[...opened.values()].map((o) => o.ref())],
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

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}
