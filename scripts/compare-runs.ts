import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readParquetFile, tableRows } from '@goodhart/core';

/**
 * Whether two runs of one preset agree within their own noise: for example fp32 against bf16 at the same seed.
 * Compares the proxies' validation accuracies (points), every best-of-n and RL curve point's gold (and RL's KL) by
 * mutual containment — each run's mean inside the other's 95% bootstrap interval — and the findings line. Reads
 * only the artifacts: `npm run compare -- artifacts/quick artifacts/quick-bf16-s1`.
 */

interface Interval {
  mean: number;
  low: number;
  high: number;
}

type Row = Record<string, unknown>;

const usage = 'usage: npm run compare -- <artifacts/<preset> of run A> <artifacts/<preset> of run B> [--json]';

async function rows(dir: string, relative: string): Promise<Row[]> {
  return tableRows(await readParquetFile(join(dir, relative)));
}

function num(row: Row, column: string, where: string): number {
  const value = row[column];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: column "${column}" is ${String(value)}, not a finite number`);
  return value;
}

function interval(row: Row, column: string, where: string): Interval {
  return { mean: num(row, column, where), low: num(row, `${column}_low`, where), high: num(row, `${column}_high`, where) };
}

/** Each mean inside the other's interval. */
function mutuallyInside(a: Interval, b: Interval): boolean {
  return a.mean >= b.low && a.mean <= b.high && b.mean >= a.low && b.mean <= a.high;
}

interface PointComparison {
  points: number;
  inside: number;
  outside: string[];
}

function comparePoints(a: ReadonlyMap<string, Interval>, b: ReadonlyMap<string, Interval>, what: string): PointComparison {
  const missing = [...a.keys()].filter((k) => !b.has(k));
  const extra = [...b.keys()].filter((k) => !a.has(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${what}: the runs have different points (only in A: ${missing.slice(0, 5).join(', ') || 'none'}; only in B: ${extra.slice(0, 5).join(', ') || 'none'})`,
    );
  }
  const outside: string[] = [];
  for (const [key, ia] of a) {
    const ib = b.get(key) as Interval;
    if (!mutuallyInside(ia, ib))
      outside.push(
        `${key}: ${ia.mean.toFixed(3)} [${ia.low.toFixed(3)}, ${ia.high.toFixed(3)}] vs ${ib.mean.toFixed(3)} [${ib.low.toFixed(3)}, ${ib.high.toFixed(3)}]`,
      );
  }
  return { points: a.size, inside: a.size - outside.length, outside };
}

async function bonGold(dir: string): Promise<Map<string, Interval>> {
  const where = join(dir, 'bon/curves/curves.parquet');
  return new Map((await rows(dir, 'bon/curves/curves.parquet')).map((r) => [`bon ${String(r.proxy)} n=${num(r, 'n', where)}`, interval(r, 'gold', where)]));
}

async function rlCurves(dir: string, column: 'gold' | 'kl'): Promise<Map<string, Interval>> {
  const out = new Map<string, Interval>();
  const runsDir = join(dir, 'ppo/runs');
  for (const run of readdirSync(runsDir).sort()) {
    const file = join(runsDir, run, 'curve.parquet');
    if (!existsSync(file)) continue;
    for (const r of await rows(dir, `ppo/runs/${run}/curve.parquet`)) {
      const step = num(r, 'step', file);
      if (column === 'kl' && step === 0) continue; // KL is 0 by construction at the initial policy
      out.set(`rl ${run} step ${step}`, interval(r, column, file));
    }
  }
  return out;
}

async function proxyAccuracy(dir: string): Promise<Map<string, number>> {
  const where = join(dir, 'proxy/summary/proxy_metrics.parquet');
  return new Map((await rows(dir, 'proxy/summary/proxy_metrics.parquet')).map((r) => [String(r.cell), num(r, 'validation_accuracy', where)]));
}

interface Finding {
  id: number;
  holds: boolean | null;
}

function findingsLine(dir: string): string {
  const path = join(dir, 'fit/report/findings.json');
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected an array of findings`);
  return (parsed as Finding[]).map((f) => `${f.id} ${f.holds === true ? '✓' : f.holds === false ? '✗' : '—'}`).join('  ');
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  if (args.length !== 2) {
    console.error(usage);
    process.exit(2);
  }
  const [a, b] = args.map((p) => resolve(p));
  for (const dir of [a, b])
    if (!existsSync(join(dir, 'fit/report/findings.json')))
      throw new Error(`${dir}: no fit/report/findings.json (is this a finished run's artifacts/<preset>?)`);

  const accA = await proxyAccuracy(a);
  const accB = await proxyAccuracy(b);
  const accuracy = [...accA].map(([cell, x]) => {
    const y = accB.get(cell);
    if (y === undefined) throw new Error(`proxy cell ${cell} is in A but not in B`);
    return { cell, a: x, b: y, points: 100 * Math.abs(x - y) };
  });
  const bon = comparePoints(await bonGold(a), await bonGold(b), 'best-of-n gold');
  const rlGold = comparePoints(await rlCurves(a, 'gold'), await rlCurves(b, 'gold'), 'RL gold');
  const rlKl = comparePoints(await rlCurves(a, 'kl'), await rlCurves(b, 'kl'), 'RL KL');
  const result = {
    a,
    b,
    accuracy,
    accuracyWithinOnePoint: accuracy.filter((x) => x.points <= 1).length,
    largestAccuracyGapPoints: Math.max(...accuracy.map((x) => x.points)),
    bon,
    rlGold,
    rlKl,
    findings: { a: findingsLine(a), b: findingsLine(b) },
  };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`A: ${a}\nB: ${b}`);
  console.log(
    `proxy validation accuracy: ${result.accuracyWithinOnePoint} of ${accuracy.length} cells within 1 point; largest gap ${result.largestAccuracyGapPoints.toFixed(2)} points`,
  );
  for (const x of accuracy) console.log(`  ${x.cell.padEnd(16)} ${(100 * x.a).toFixed(2)}%  ${(100 * x.b).toFixed(2)}%  Δ ${x.points.toFixed(2)}`);
  for (const [name, c] of [
    ['best-of-n gold', bon],
    ['RL gold', rlGold],
    ['RL KL', rlKl],
  ] as const) {
    console.log(`${name}: ${c.inside} of ${c.points} points (${percent(c.inside, c.points)}) each inside the other's 95% interval`);
    for (const line of c.outside) console.log(`  outside: ${line}`);
  }
  console.log(`findings A: ${result.findings.a}\nfindings B: ${result.findings.b}`);
}

main().catch((err: unknown) => {
  console.error(`compare: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
