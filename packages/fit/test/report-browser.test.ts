import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFindings } from '../src/findings.ts';
import { writeReport } from '../src/report/write-report.ts';
import { makeFixture } from './fixtures.ts';
import { HAVE_CHROMIUM, launchChromium, MISSING_CHROMIUM, openReport, REQUIRE_BROWSER } from './report-page.ts';

/** The report as a person sees it, opened from disk in headless Chromium (see report-page.ts). */
if (!HAVE_CHROMIUM && !REQUIRE_BROWSER) console.warn(`skipping the report browser test: ${MISSING_CHROMIUM}`);

/** Figures the fixture (5 RM sizes × 2 counts, an unpenalised and a penalised RL run, a regressional check) must draw. */
const CHARTS = [
  'bon-gold',
  'bon-proxy',
  'rl-gold',
  'rl-proxy',
  'coef-params',
  'coef-comparisons',
  'validation-loss',
  'kl-penalty',
  'bon-vs-rl',
  'regressional',
];
/** One policy size only: this figure must be a note, not an empty chart. */
const NOTES = ['policy-size'];
/** Plotted marks (lines, areas, symbols, rules; not axes or legends) a real chart of this fixture has at least. */
const MIN_MARKS = 10;
/** A blank or broken page screenshots to a few KB; the full report is hundreds. */
const MIN_SCREENSHOT_BYTES = 60_000;

let browser: Browser | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await browser?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('static report in headless Chromium', () => {
  it.skipIf(!HAVE_CHROMIUM && !REQUIRE_BROWSER)('renders findings, tables and every figure without errors', async () => {
    const { input, results } = makeFixture();
    const dir = await mkdtemp(join(tmpdir(), 'goodhart-report-browser-'));
    dirs.push(dir);
    const written = await writeReport(dir, input, results, computeFindings(input, results));
    expect(written.warnings).toEqual([]);

    browser = await launchChromium();
    const { page, problems } = await openReport(browser, join(dir, 'index.html'));

    expect(await page.title()).toContain('fixture');
    await expect(page.locator('#findings-table tbody tr').count()).resolves.toBe(9);
    await expect(page.locator('#fits-table tbody tr').count()).resolves.toBe(results.bon.length + results.rl.length);

    for (const id of CHARTS) {
      const svg = page.locator(`#fig-${id} svg`).first();
      const box = await svg.boundingBox();
      expect(box, `figure ${id} has no layout box`).not.toBeNull();
      expect(box!.width, `figure ${id} width`).toBeGreaterThan(150);
      expect(box!.height, `figure ${id} height`).toBeGreaterThan(150);
      const marks = await page.locator(`#fig-${id} svg .role-mark path, #fig-${id} svg .role-mark line`).count();
      expect(marks, `figure ${id} plotted marks`).toBeGreaterThanOrEqual(MIN_MARKS);
      await expect(page.locator(`#fig-${id} figcaption`).textContent()).resolves.toMatch(/Finding/);
    }
    for (const id of NOTES) {
      await expect(page.locator(`#fig-${id} svg`).count()).resolves.toBe(0);
      await expect(page.locator(`#fig-${id}`).textContent()).resolves.toMatch(/Not in this preset/);
    }

    const screenshot = join(dir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect((await stat(screenshot)).size).toBeGreaterThan(MIN_SCREENSHOT_BYTES);
    expect(problems).toEqual([]);
  });
});
