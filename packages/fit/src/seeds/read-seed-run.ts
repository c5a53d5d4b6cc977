import { readFile } from 'node:fs/promises';
import { FITS_TABLE, loadPipeline, openStage, readParquetFile, SHARED_ALPHA_TABLE, stageHint } from '@goodhart/core';
import { declaredRows } from '../declared-rows.ts';
import type { SeedFits } from './pooled-slopes.ts';

/** One finding of a seed's fit/report/findings.json, as the cross-seed report reads it. */
export interface SeedFinding {
  id: number;
  title: string;
  holds: boolean | null;
  evidence: string;
}

/** What the cross-seed report reads of one pipeline seed's finished run. */
export interface SeedRun extends SeedFits {
  /** The preset or seed variant it ran as (`quick`, `quick@s2`). */
  preset: string;
  findings: SeedFinding[];
  /** The run's fit confidence (fit.confidence), used for the pooled intervals. */
  confidence: number;
}

function isFinding(value: unknown): value is SeedFinding {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  return typeof f.id === 'number' && typeof f.title === 'string' && (typeof f.holds === 'boolean' || f.holds === null) && typeof f.evidence === 'string';
}

/**
 * Reads a finished run's fit output (verified against its manifest: a missing or half-written one names the task that
 * makes it): its findings, its fits and its shared-α β per RL run.
 */
export async function readSeedRun(root: string, preset: string): Promise<SeedRun> {
  const config = loadPipeline(preset, root);
  const output = await openStage(root, config, 'fit');
  const rerun = stageHint(config.name, 'fit');
  const findingsFile = output.file('report/findings.json');
  const parsed: unknown = JSON.parse(await readFile(findingsFile, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every(isFinding))
    throw new Error(`${findingsFile}: not a list of findings { id, title, holds, evidence }; rerun it (${rerun})`);
  const fitsFile = output.file(FITS_TABLE.file);
  const fits = declaredRows(FITS_TABLE, await readParquetFile(fitsFile), fitsFile, output.manifest.stage, rerun);
  const sharedFile = output.file(SHARED_ALPHA_TABLE.file);
  const shared = declaredRows(SHARED_ALPHA_TABLE, await readParquetFile(sharedFile), sharedFile, output.manifest.stage, rerun);
  return {
    preset: config.name,
    seed: config.seed,
    findings: parsed.map(({ id, title, holds, evidence }) => ({ id, title, holds, evidence })),
    confidence: config.fit.confidence,
    // A coefficient is null only where fit wrote no fit; such a curve is no point of a slope.
    fits: fits.flatMap(({ alpha, beta, ...row }) => (alpha === null || beta === null ? [] : [{ ...row, alpha, beta }])),
    sharedBeta: new Map(shared.flatMap((row) => (row.beta === null ? [] : [[row.run, row.beta] as const]))),
  };
}
