import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Opening a written report as a person sees it: from disk in Debian's headless Chromium (driven by playwright-core,
 * which downloads no browser of its own). Tests skip when Chromium is absent, unless GOODHART_REQUIRE_BROWSER=1 (CI),
 * where a missing browser is a failure rather than a silent skip.
 */
export const CHROMIUM = process.env.GOODHART_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const REQUIRE_BROWSER = process.env.GOODHART_REQUIRE_BROWSER === '1';
export const MISSING_CHROMIUM = `headless Chromium not found at ${CHROMIUM}: install Debian's chromium: apt-get install -y chromium`;

/** A browser for the report tests; refuses with how to install Chromium when it is absent. */
export async function launchChromium(): Promise<Browser> {
  if (!HAVE_CHROMIUM) throw new Error(MISSING_CHROMIUM);
  // Tests may run as root (CI), where Chromium refuses to start without --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The report file loaded in a new page, with every console error, page error and failed request it had so far and has later. */
export async function openReport(browser: Browser, file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}
