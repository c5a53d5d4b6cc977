import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFindings } from '../src/findings.ts';
import { escapeHtml, escapeMarkdownCell } from '../src/report/escape.ts';
import { namespaceSvgIds } from '../src/report/svg-ids.ts';
import { writeReport } from '../src/report/write-report.ts';
import { makeFixture, type FixtureOptions } from './fixtures.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function report(options: FixtureOptions, preset?: string) {
  const { input, results } = makeFixture(options);
  if (preset) input.preset = preset;
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-report-'));
  dirs.push(dir);
  const findings = computeFindings(input, results);
  const written = await writeReport(dir, input, results, findings);
  return { dir, written, html: await readFile(join(dir, 'index.html'), 'utf8') };
}

describe('writeReport', () => {
  it('writes every figure, the page, the summary and findings.json, with no Vega warnings', async () => {
    const { dir, written, html } = await report({ policySizes: 2 });
    expect(written.warnings).toEqual([]);
    const figures = (await readdir(join(dir, 'figures'))).sort();
    expect(figures).toEqual(
      [
        'bon-gold',
        'bon-proxy',
        'bon-vs-rl',
        'coef-comparisons',
        'coef-params',
        'kl-penalty',
        'policy-size',
        'regressional',
        'rl-gold',
        'rl-proxy',
        'validation-loss',
      ].map((id) => `${id}.svg`),
    );
    expect(written.files).toContain(join(dir, 'index.html'));
    expect(written.files).toContain(join(dir, 'figures', 'policy-size.svg'));

    const json = JSON.parse(await readFile(join(dir, 'findings.json'), 'utf8')) as {
      id: number;
      title: string;
      holds: boolean | null;
      holds_for_seeds: number[] | null;
      evidence: string;
      numbers: object;
    }[];
    expect(json.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Object.keys(json[0]!)).toEqual(['id', 'title', 'holds', 'holds_for_seeds', 'fails_for_seeds', 'untestable_for_seeds', 'evidence', 'numbers']);
    expect(json[7]!.holds_for_seeds).toBeNull();

    const summary = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^\| # \| Finding \| Holds \| Proxy seeds \| Evidence \|$/m);
    expect(html).toContain('<th>Proxy seeds</th>');
    expect(html).toContain('<td class="seeds">not seed-dependent</td>');
    expect(summary).toContain('](figures/bon-gold.svg)');
    expect(summary.split('\n').filter((line) => /^\| [1-9] \|/.test(line))).toHaveLength(9);

    // Self-contained: no scripts, no stylesheets or images fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src="http|href="http|url\(http|@import/i);
  });

  it('lists every fitted curve’s R² in finding 2’s table, judged at the largest comparisons count or reported', async () => {
    const { input, results } = makeFixture({});
    const { dir, html } = await report({});
    const summary = await readFile(join(dir, 'summary.md'), 'utf8');
    const section = summary.slice(summary.indexOf('### Finding 2: the forms, curve by curve'));
    const rows = section.split('\n').filter((line) => /^\| [a-z]+-n\d+/.test(line));
    const fits = [...results.bon, ...results.rl];
    expect(rows).toHaveLength(fits.length);
    for (const fit of fits) {
      const line = rows.find((row) => row.startsWith(`| ${fit.curve} |`));
      expect(line, fit.curve).toBeDefined();
      expect(line).toContain(`| ${fit.r2.toFixed(3)} |`);
      const judged = fit.proxy.comparisons === 8000 && (fit.method === 'bon' || fit.klCoefficient === 0);
      expect(line).toContain(judged ? '| judged |' : '| reported (');
    }
    expect(rows.filter((row) => row.includes('| judged |'))).toHaveLength(input.bon.filter((c) => c.proxy.comparisons === 8000).length + 1);
    expect(section).toMatch(/^\| BoN \| d\(α − βd\) vs d\(α − β ln d\) \|/m);
    expect(html).toContain('<section id="forms">');
  });

  it('gives every inlined SVG id a figure prefix so figures cannot capture each other’s clip paths', async () => {
    const { html } = await report({});
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('replaces figures the preset cannot draw with notes and writes no file for them', async () => {
    const { dir, written, html } = await report({ rl: false, regressional: false });
    expect(written.warnings).toEqual([]);
    const figures = await readdir(join(dir, 'figures'));
    expect(figures).not.toContain('rl-gold.svg');
    expect(figures).not.toContain('kl-penalty.svg');
    expect(figures).toContain('bon-gold.svg');
    expect(html).toMatch(/<figure id="fig-rl-gold" class="note">/);
    expect(html).toMatch(/<figure id="fig-regressional" class="note">/);
  });

  it('escapes the preset name and other text', async () => {
    const { html, dir } = await report({ rl: false }, '<script>alert("x")</script> & co');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    // In Markdown the preset sits in a code span, where renderers show HTML as literal text.
    const summary = await readFile(join(dir, 'summary.md'), 'utf8');
    expect(summary.split('\n')[0]).toBe('# Scaling laws for reward model overoptimisation — preset `<script>alert("x")</script> & co`');
  });
});

describe('report helpers', () => {
  it('escapes HTML text and Markdown cells', () => {
    expect(escapeHtml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
    expect(escapeMarkdownCell('a | b\nc <d>')).toBe('a \\| b c &lt;d&gt;');
  });

  it('prefixes SVG ids and their references only', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/><a href="#other"/></g></svg>';
    expect(namespaceSvgIds(svg, 'fig-a')).toBe(
      '<svg><defs><clipPath id="fig-a-clip1"><rect/></clipPath></defs><g clip-path="url(#fig-a-clip1)"><use href="#fig-a-clip1"/><a href="#other"/></g></svg>',
    );
  });
});
