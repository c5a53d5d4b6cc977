/**
 * Must-show 2 of issue 22: the gold RM's size and its held-out agreement with the human (gold-rm/metrics.json), and
 * each proxy's held-out agreement with the gold and with the human, by size and comparisons count
 * (proxy/summary/proxy_metrics.parquet), from a run's artifacts.
 *
 *   node --import tsx scripts/gold/agreement.ts [--preset quick] [--artifacts <root>]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROXY_METRICS_TABLE, readParquetFile, workspaceRoot } from '@goodhart/core';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, artifacts: { type: 'string' } } });
const dir = join(values.artifacts ?? workspaceRoot(), 'artifacts', values.preset);
const gold = JSON.parse(await readFile(join(dir, 'gold-rm', 'metrics.json'), 'utf8')) as {
  size: string;
  nonEmbeddingParameters: number;
  comparisons: { train: number; validation: number; ties: number };
  validation: { accuracy: number; pairs: number };
};
const se = (p: number, n: number): number => Math.sqrt((p * (1 - p)) / n);
const pct = (p: number, n: number): string => `${(100 * p).toFixed(1)}% ± ${(196 * se(p, n)).toFixed(1)}`;
console.log(
  `gold RM "${gold.size}": ${gold.nonEmbeddingParameters.toLocaleString('en-US')} non-embedding parameters (reward head included); ${gold.comparisons.train} training comparisons (${gold.comparisons.ties} ties dropped); held out against the human ${pct(gold.validation.accuracy, gold.validation.pairs)} (95% normal interval) on ${gold.validation.pairs} pairs`,
);
const percent = (p: number | null): string => (p === null ? '—' : `${(100 * p).toFixed(1)}%`);
const path = join(dir, 'proxy', 'summary', PROXY_METRICS_TABLE.file);
const rows = PROXY_METRICS_TABLE.rows(await readParquetFile(path), path);
console.log('\n| proxy | non-embedding parameters | comparisons | held out: agrees with the gold | agrees with the human |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.cell} | ${r.non_embedding_parameters.toLocaleString('en-US')} | ${r.comparisons} | ${percent(r.validation_gold_accuracy)} | ${percent(r.validation_human_accuracy)} |`,
  );
}
