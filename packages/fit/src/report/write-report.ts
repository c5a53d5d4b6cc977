import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FitInput, FitResults, Finding } from '../types.ts';
import { planFigures } from './figures/index.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSvg } from './render-svg.ts';
import type { RenderedFigure } from './rendered.ts';
import { namespaceSvgIds } from './svg-ids.ts';

export interface WrittenReport {
  /** Absolute paths of every file written, in write order (figures first, index.html last). */
  files: string[];
  /** Vega-Lite/Vega warnings and figures that failed to render, each prefixed with its figure id. */
  warnings: string[];
}

/**
 * A static report directory: index.html (self-contained, figures inlined), summary.md, findings.json, and each
 * figure as a standalone SVG in figures/. figures/ is cleared first so a figure this preset no longer draws does not
 * linger from an earlier run. The output is deterministic for the same inputs (no timestamps).
 */
export async function writeReport(dir: string, input: FitInput, results: FitResults, findings: Finding[]): Promise<WrittenReport> {
  const figuresDir = join(dir, 'figures');
  await rm(figuresDir, { recursive: true, force: true });
  await mkdir(figuresDir, { recursive: true });
  const files: string[] = [];
  const warnings: string[] = [];

  const figures: RenderedFigure[] = [];
  for (const plan of planFigures(input, results)) {
    if (plan.kind === 'note') {
      figures.push(plan);
      continue;
    }
    try {
      const rendered = await renderSvg(plan.spec);
      warnings.push(...rendered.warnings.map((w) => `${plan.id}: ${w}`));
      const file = `figures/${plan.id}.svg`;
      const svg = namespaceSvgIds(rendered.svg, `fig-${plan.id}`);
      await writeFile(join(dir, file), `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
      files.push(join(dir, file));
      figures.push({ kind: 'chart', id: plan.id, title: plan.title, caption: plan.caption, file, svg });
    } catch (error) {
      // One bad figure should not cost the whole report: say so in the page and in the warnings.
      const message = error instanceof Error ? error.message : String(error);
      warnings.push(`${plan.id}: could not be drawn: ${message}`);
      figures.push({ kind: 'note', id: plan.id, title: plan.title, note: `This figure could not be drawn (${message}).` });
    }
  }

  // Seeds are proxy seeds (the s<seed> of cell names); null for a finding that does not depend on the proxies.
  const findingsJson = findings.map((f) => ({
    id: f.id,
    title: f.title,
    holds: f.holds,
    holds_for_seeds: f.seeds?.holds ?? null,
    fails_for_seeds: f.seeds?.fails ?? null,
    untestable_for_seeds: f.seeds?.untestable ?? null,
    evidence: f.evidence,
    numbers: f.numbers,
  }));
  const outputs: [string, string][] = [
    ['findings.json', `${JSON.stringify(findingsJson, null, 2)}\n`],
    ['summary.md', renderMarkdown(input, results, findings, figures)],
    ['index.html', renderHtml(input, results, findings, figures)],
  ];
  for (const [name, text] of outputs) {
    await writeFile(join(dir, name), text);
    files.push(join(dir, name));
  }
  return { files, warnings };
}
