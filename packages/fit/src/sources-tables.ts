import { join } from 'node:path';
import { SOURCES_BON_TABLE, SOURCES_RL_TABLE, writeParquetFile } from '@goodhart/core';
import type { RewardSourcesAnalysis } from './findings/reward-sources.ts';

/**
 * sources_bon.parquet and sources_rl.parquet: finding 10's numbers per source and per run. Written only when the
 * preset declares sources, so a preset without them writes exactly the files it wrote before sources existed.
 */
export async function writeSourcesTables(dir: string, analysis: RewardSourcesAnalysis): Promise<void> {
  await writeParquetFile(
    join(dir, SOURCES_BON_TABLE.file),
    SOURCES_BON_TABLE.fromRows(
      analysis.bon.map((r) => ({
        source: r.source,
        kind: r.kind,
        objective: r.objective,
        members: r.members.join(' '),
        n: r.n,
        gold: r.gold.mean,
        gold_low: r.gold.low,
        gold_high: r.gold.high,
        members_gold: r.membersGold.mean,
        members_low: r.membersGold.low,
        members_high: r.membersGold.high,
        gain: r.gain.mean,
        gain_low: r.gain.low,
        gain_high: r.gain.high,
        baseline_gold: r.baseline,
        members_gain: r.membersGain.mean,
        members_gain_low: r.membersGain.low,
        members_gain_high: r.membersGain.high,
        relative_gain: r.relative?.mean ?? null,
        relative_low: r.relative?.low ?? null,
        relative_high: r.relative?.high ?? null,
        members_beaten: r.membersBeaten,
      })),
    ),
  );
  await writeParquetFile(
    join(dir, SOURCES_RL_TABLE.file),
    SOURCES_RL_TABLE.fromRows(
      analysis.rl.map((r) => ({
        run: r.run,
        proxy: r.proxy,
        kind: r.kind,
        objective: r.objective,
        kl_coefficient: r.klCoefficient,
        policy: r.policy,
        peak_iteration: r.peakIteration,
        peak_gold: r.peakGold.mean,
        peak_low: r.peakGold.low,
        peak_high: r.peakGold.high,
        final_gold: r.finalGold,
        fall: r.fall.mean,
        fall_low: r.fall.low,
        fall_high: r.fall.high,
        falls: r.falls,
      })),
    ),
  );
}
