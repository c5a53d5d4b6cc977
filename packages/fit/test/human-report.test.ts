import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile, stageOutputDir, tableRows } from '@goodhart/core';
import { runCurves, runPool, runScore } from '@goodhart/bon';
import { runFit, type FitStageResult } from '../src/index.ts';
import { runGoldRm } from '@goodhart/gold-rm';
import { runLabel } from '@goodhart/label';
import { initEngine } from '@goodhart/model';
import { runDpoRun, runDpoSummary } from '@goodhart/dpo';
import { runPpoRun, runPpoSummary } from '@goodhart/ppo';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyCell, runProxySummary } from '@goodhart/proxy';
import { formatHumanBesideGold } from '../src/console-report.ts';
import { planFigures } from '../src/report/figures/index.ts';
import { HUMAN_MEASURED } from '../src/report/figures/series.ts';
import { LEXICON_GOLD_NOTE } from '../src/report/tables.ts';
import { useModelGold } from '../../../test/support/gold-model.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';
import { HAVE_CHROMIUM, launchChromium, openReport, REQUIRE_BROWSER } from './report-page.ts';

/**
 * The fit stage's report on real artifacts of the test preset: with a model gold (a tiny gold RM) it draws and
 * tabulates the human labeller's curve beside the gold for best-of-n and RL; with the lexicon gold (the human itself)
 * it says so once and draws no duplicate curve. Two RM cells, one PPO run and one DPO run keep it to seconds of stage work.
 */
const quiet = (): void => {};
const CELLS = ['tiny-n20-s0', 'tiny-n60-s0'];
const RUN = 'tiny-n20-s0-kl0-small';
const DPO_RUN = 'tiny-n20-s0-dpo-b0p1';

let root: string;
const reports: Record<'model' | 'lexicon', FitStageResult> = {} as Record<'model' | 'lexicon', FitStageResult>;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

async function runPipeline(preset: string, modelGold: boolean): Promise<FitStageResult> {
  const options = { preset, backend: 'wasm' as const, root, log: quiet };
  await runPretrain(options);
  if (modelGold) await runGoldRm(options);
  await runLabel(options);
  for (const cell of CELLS) await runProxyCell({ ...options, cell });
  await runProxySummary({ preset, root });
  await runPool(options);
  for (const cell of CELLS) await runScore({ ...options, cell });
  await runCurves({ preset, root });
  await runPpoRun({ ...options, run: RUN });
  await runPpoSummary({ preset, root });
  await runDpoRun({ ...options, run: DPO_RUN });
  await runDpoSummary({ preset, root });
  return runFit({ preset, root, log: quiet });
}

beforeAll(async () => {
  await initEngine();
  const shrink = (config: Record<string, Record<string, unknown>>): void => {
    config.proxy.grid = { sizes: ['tiny'], comparisons: [20, 60], seeds: [0] };
  };
  const model = await testPreset('fh-model', (config) => {
    shrink(config);
    useModelGold(config);
  });
  const lexicon = await testPreset('fh-lexicon', shrink);
  root = await tempWorkspace([model, lexicon]);
  reports.model = await runPipeline('fh-model', true);
  reports.lexicon = await runPipeline('fh-lexicon', false);
}, 600_000);

const read = (result: FitStageResult, file: string): Promise<string> => readFile(join(result.outputDir, 'report', file), 'utf8');
const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('the fit report draws the human beside the gold', () => {
  it('with a model gold: a human row per BoN curve and RL run, in the page, summary.md and the console', async () => {
    const { input } = reports.model;
    expect(input.goldKind).toBe('model');
    const html = await read(reports.model, 'index.html');
    const summary = await read(reports.model, 'summary.md');
    const humanTable = html.slice(html.indexOf('<table id="human-table"'), html.indexOf('</table>', html.indexOf('<table id="human-table"')));
    expect(humanTable.length).toBeGreaterThan(0);
    expect(humanTable.match(/<tbody>[\s\S]*/)![0].match(/<tr>/g)).toHaveLength(CELLS.length + 1);
    for (const curve of [...CELLS, RUN]) {
      expect(humanTable).toContain(`<td>${curve}</td>`);
      expect(summary).toMatch(new RegExp(`^\\| ${curve} \\| (BoN|RL) \\|.*\\| (earlier than|at the same point as|later than) the gold \\|$`, 'm'));
    }
    expect(summary).toContain('## The human beside the gold');
    expect(html).not.toContain(LEXICON_GOLD_NOTE);
    expect(summary).not.toContain(LEXICON_GOLD_NOTE);
    const consoleLines = formatHumanBesideGold(input).split('\n');
    expect(consoleLines).toHaveLength(1 + CELLS.length + 1);
    expect(consoleLines[0]).toMatch(/^human beside the gold: peaks chosen on 2 prompts, read on the other 2/);
  });

  it('the gold figures carry the human means from the bon and ppo artifacts, distinct from the gold', async () => {
    const { input, results } = reports.model;
    const plans = planFigures(input, results);
    const humanRows = (id: string): Record<string, unknown>[] => {
      const plan = plans.find((p) => p.id === id)!;
      expect(plan.kind).toBe('chart');
      const spec = plan.kind === 'chart' ? (plan.spec as { data: { values: Record<string, unknown>[] } }) : undefined;
      return spec!.data.values.filter((row) => row.kind === HUMAN_MEASURED);
    };
    const bonCurves = tableRows(await readParquetFile(join(stageOutputDir(root, 'fh-model', 'bonCurves'), 'curves.parquet')));
    const bonHuman = humanRows('bon-gold');
    expect(bonHuman).toHaveLength(bonCurves.length);
    for (const point of bonCurves) {
      const row = bonHuman.find((r) => r.curve === `${String(point.proxy)} human` && r.d === Number(point.d))!;
      expect(row.value).toBe(Number(point.human));
      expect([row.low, row.high]).toEqual([Number(point.human_low), Number(point.human_high)]);
    }
    expect(bonCurves.some((p) => Math.abs(Number(p.human) - Number(p.gold)) > 1e-6)).toBe(true);

    const ppoCurves = tableRows(await readParquetFile(join(stageOutputDir(root, 'fh-model', 'ppoSummary'), 'curves.parquet')));
    const rlHuman = humanRows('rl-gold');
    expect(rlHuman.map((r) => r.value)).toEqual(
      ppoCurves
        .filter((p) => p.run === RUN)
        .sort((a, b) => Number(a.step) - Number(b.step))
        .map((p) => Number(p.human)),
    );

    for (const id of ['bon-gold', 'rl-gold']) {
      const svg = await read(reports.model, `figures/${id}.svg`);
      expect(svg).toContain('human (mean)');
      expect(svg).toContain('gold (mean)');
      // The legend that tells gold, fitted and human lines apart is drawn (a shape legend on the same field hid it).
      expect(svg).toMatch(/aria-label="Symbol legend titled 'series' for strokeDash with 3 values: gold \(mean\), fitted form, human \(mean\)"/);
    }
  });

  it('with the lexicon gold: one note instead of a duplicate human curve', async () => {
    const { input } = reports.lexicon;
    expect(input.goldKind).toBe('lexicon');
    const html = await read(reports.lexicon, 'index.html');
    const summary = await read(reports.lexicon, 'summary.md');
    expect(occurrences(html, LEXICON_GOLD_NOTE)).toBe(1);
    expect(occurrences(summary, LEXICON_GOLD_NOTE)).toBe(1);
    expect(html).not.toContain('id="human-table"');
    expect(formatHumanBesideGold(input)).toBe(`human beside the gold: ${LEXICON_GOLD_NOTE}`);
    for (const id of ['bon-gold', 'rl-gold']) {
      const svg = await read(reports.lexicon, `figures/${id}.svg`);
      expect(svg).not.toContain('human');
      expect(svg).toContain('measured (mean)');
    }
  });

  it.skipIf(!HAVE_CHROMIUM && !REQUIRE_BROWSER)(
    'the model-gold report opens in headless Chromium with the human table and both gold figures drawn',
    async () => {
      browser = await launchChromium();
      const { page, problems } = await openReport(browser, reports.model.report);
      await expect(page.locator('#human-table tbody tr').count()).resolves.toBe(CELLS.length + 1);
      for (const id of ['bon-gold', 'rl-gold']) {
        const box = await page.locator(`#fig-${id} svg`).first().boundingBox();
        expect(box, `figure ${id} has no layout box`).not.toBeNull();
        expect(box!.height).toBeGreaterThan(150);
        await expect(page.locator(`#fig-${id} figcaption`).textContent()).resolves.toMatch(/human labeller's score/);
      }
      expect(problems).toEqual([]);
    },
  );
});
