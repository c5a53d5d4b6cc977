import { humanBesideGold } from '../human-beside-gold.ts';
import type { FitInput, FitResults, Finding } from '../types.ts';
import { escapeHtml } from './escape.ts';
import { percent } from './format.ts';
import { FORM_HELDOUT_HEADERS, FORM_R2_HEADERS, formsTables } from './forms-table.ts';
import { KL_ESTIMATOR_HEADERS, KL_ESTIMATOR_TITLE, klEstimatorIntro, klEstimatorRows } from './kl-estimators-table.ts';
import type { RenderedFigure } from './rendered.ts';
import {
  FIT_HEADERS,
  HUMAN_HEADERS,
  LEXICON_GOLD_NOTE,
  SCALING_HEADERS,
  SHARED_ALPHA_HEADERS,
  UNFITTED_HEADERS,
  findingRows,
  fitRows,
  humanRows,
  humanTableIntro,
  scalingRows,
  sharedAlphaRows,
  unfittedRows,
} from './tables.ts';

/**
 * index.html: one self-contained page. Styles and figures are inline (no CDN, no fonts, no script), so it opens the
 * same from an artifact directory, a CI upload or a file:// URL with no network. Every piece of text is escaped; the
 * only raw markup inserted is the SVG that Vega wrote.
 */
export function renderHtml(input: FitInput, results: FitResults, findings: readonly Finding[], figures: readonly RenderedFigure[]): string {
  const title = 'Scaling laws for reward model overoptimisation';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${title} — preset ${input.preset}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="subtitle">Preset <code>${escapeHtml(input.preset)}</code> · a small-scale reproduction of Gao, Schulman &amp; Hilton (2022), best-of-n and PPO against learned proxy reward models scored by a fixed gold reward model.</p>
</header>
${setupSection(input, results)}
${findingsSection(findings)}
${humanSection(input)}
${klEstimatorSection(input)}
${figuresSection(figures)}
${fitsSection(results)}
${formsSection(input, results)}
<footer>Gold and proxy scores are in units of the gold reward’s standard deviation on initial-policy samples, shifted so the initial policy scores 0. d = √KL(π ‖ π_init), KL in nats. Intervals are ${escapeHtml(percent(input.options.confidence))} percentile bootstrap intervals over prompts.</footer>
</main>
</body>
</html>
`;
}

function setupSection(input: FitInput, results: FitResults): string {
  const sizes = [...new Set(input.proxies.map((p) => p.size))];
  const counts = [...new Set(input.proxies.map((p) => p.comparisons))].sort((a, b) => a - b);
  const penalised = input.rl.filter((r) => r.klCoefficient > 0).length;
  const items: [string, string][] = [
    ['Proxy RMs', `${input.proxies.length} (sizes ${sizes.join(', ') || '—'}; comparisons ${counts.join(', ') || '—'})`],
    ['Policies', input.policies.map((p) => p.size).join(', ') || '—'],
    ['Best-of-n curves', String(input.bon.length)],
    ['RL runs', `${input.rl.length} (${input.rl.length - penalised} unpenalised, ${penalised} with a KL penalty)`],
    ['Regressional check', input.regressional ? `yes (ρ = ${input.regressional.rho.toFixed(3)})` : 'no'],
    ['Fits', `${results.bon.length} BoN, ${results.rl.length} RL, ${results.rlSharedAlpha.length} shared-α groups, ${results.scaling.length} scaling trends`],
    ['Bootstrap', `${input.options.bootstrapResamples} resamples, ${percent(input.options.confidence)} intervals, seed ${input.options.seed}`],
  ];
  return `<section id="setup">
<h2>Setup</h2>
<dl class="setup">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
</section>`;
}

function findingsSection(findings: readonly Finding[]): string {
  const rows = findingRows(findings)
    .map((row) => {
      const cls = row.holds === true ? 'yes' : row.holds === false ? 'no' : 'na';
      return `<tr><td class="num">${row.id}</td><td>${escapeHtml(row.title)}</td><td class="verdict ${cls}" title="${escapeHtml(row.verdict)}"><span aria-label="${escapeHtml(row.verdict)}">${row.symbol}</span></td><td class="seeds">${escapeHtml(row.seeds)}</td><td>${escapeHtml(row.evidence)}</td></tr>`;
    })
    .join('\n');
  const held = findings.filter((f) => f.holds === true).length;
  const failed = findings.filter((f) => f.holds === false).length;
  const untested = findings.length - held - failed;
  return `<section id="findings">
<h2>Findings</h2>
<p>The paper’s eight findings and direct alignment’s (finding 9, Rafailov et al. 2024), each checked against this preset’s numbers: <strong>${held}</strong> hold, <strong>${failed}</strong> do not, <strong>${untested}</strong> cannot be tested with the runs this preset makes (✓ holds, ✗ does not hold, — not testable here). A finding about the proxies is also judged on each proxy seed’s RMs alone (the s&lt;seed&gt; of a cell name), and holds only if it fails on none.</p>
<table id="findings-table">
<thead><tr><th>#</th><th>Finding</th><th>Holds</th><th>Proxy seeds</th><th>Evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`;
}

/** The human beside the gold: a table of peaks for a model gold, one line for the lexicon (human = gold). */
function humanSection(input: FitInput): string {
  if (input.goldKind === 'lexicon') {
    return `<section id="human">\n<h2>The human beside the gold</h2>\n<p id="human-note">${escapeHtml(LEXICON_GOLD_NOTE)}</p>\n</section>`;
  }
  const rows = humanBesideGold(input);
  return `<section id="human">
<h2>The human beside the gold</h2>
<p>${escapeHtml(humanTableIntro(rows))} The best-of-n and RL gold figures draw the human dotted on the same axes.</p>
${table('human-table', HUMAN_HEADERS, humanRows(rows), 'No curves.')}
</section>`;
}

/** The KL estimators compared per PPO run on the same evaluation samples. */
function klEstimatorSection(input: FitInput): string {
  const body =
    input.rl.length > 0
      ? `<p>${escapeHtml(klEstimatorIntro())}</p>\n${table('kl-estimators-table', KL_ESTIMATOR_HEADERS, klEstimatorRows(input.rl), '')}`
      : '<p class="empty">No PPO runs.</p>';
  return `<section id="kl-estimators">\n<h2>${escapeHtml(KL_ESTIMATOR_TITLE)}</h2>\n${body}\n</section>`;
}

function figuresSection(figures: readonly RenderedFigure[]): string {
  let number = 0;
  const blocks = figures.map((figure) => {
    if (figure.kind === 'note') {
      return `<figure id="fig-${escapeHtml(figure.id)}" class="note"><figcaption><strong>${escapeHtml(figure.title)}.</strong> ${escapeHtml(figure.note)}</figcaption></figure>`;
    }
    number++;
    return `<figure id="fig-${escapeHtml(figure.id)}" class="chart">
<div class="plot">${figure.svg}</div>
<figcaption><strong>Figure ${number}. ${escapeHtml(figure.title)}.</strong> ${escapeHtml(figure.caption)} <a href="${escapeHtml(figure.file)}">SVG</a></figcaption>
</figure>`;
  });
  return `<section id="figures">
<h2>Figures</h2>
<div class="figure-grid">
${blocks.join('\n')}
</div>
</section>`;
}

function fitsSection(results: FitResults): string {
  const parts = [
    `<h2>Fits</h2>`,
    `<p>Gold reward fitted through the origin to each curve’s mean: R_bon(d) = d(α − βd) and R_RL(d) = d(α − β ln d). d* and R* are the predicted peak; the extrapolation RMSE is the error of a fit to the early points when predicting the later ones.</p>`,
    table('fits-table', FIT_HEADERS, fitRows(results), 'No curve fits.'),
  ];
  if (results.unfitted.length > 0) {
    parts.push(`<h3>Curves that could not be fitted</h3>`, table('unfitted-table', UNFITTED_HEADERS, unfittedRows(results), ''));
  }
  if (results.rlSharedAlpha.length > 0) {
    parts.push(`<h3>RL fits with α shared across RM sizes</h3>`, table('shared-alpha-table', SHARED_ALPHA_HEADERS, sharedAlphaRows(results), ''));
  }
  if (results.scaling.length > 0) {
    parts.push(`<h3>Scaling trends of the coefficients</h3>`, table('scaling-table', SCALING_HEADERS, scalingRows(results), ''));
  }
  return `<section id="fits">\n${parts.join('\n')}\n</section>`;
}

/** Finding 2's table: every curve's R², judged or reported, and the held-out comparison of the two forms. */
function formsSection(input: FitInput, results: FitResults): string {
  const tables = formsTables(input, results);
  if (tables.curves.length === 0) return '';
  return `<section id="forms">
<h2>Finding 2: the forms, curve by curve</h2>
<p>${escapeHtml(tables.intro)}</p>
${table('forms-table', FORM_R2_HEADERS, tables.curves, '')}
${table('forms-heldout-table', FORM_HELDOUT_HEADERS, tables.heldOut, '')}
</section>`;
}

function table(id: string, headers: readonly string[], rows: readonly string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table id="${escapeHtml(id)}" class="data">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1f; font: 15px/1.5 Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; box-shadow: 0 0 0 1px #e4e4e0; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 600; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; font-weight: 600; }
h3 { font-size: 15px; margin: 22px 0 8px; }
.subtitle { color: #555; margin: 0; }
code { font: 13px ui-monospace, Menlo, Consolas, monospace; background: #f1f1ee; padding: 1px 4px; border-radius: 3px; }
dl.setup { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
dl.setup dt { color: #666; }
dl.setup dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #e6e6e6; }
thead th { background: #f4f4f1; border-bottom: 1px solid #ccc; font-weight: 600; }
td.num { color: #666; width: 1.5em; }
td.verdict { text-align: center; font-size: 17px; font-weight: 700; width: 3.5em; }
td.verdict.yes { color: #1a7f37; }
td.verdict.no { color: #c62828; }
td.verdict.na { color: #888; }
td.seeds { white-space: nowrap; color: #444; }
#findings-table td:nth-child(2) { width: 32%; }
table.data { font-size: 12.5px; font-variant-numeric: tabular-nums; }
table.data td { white-space: nowrap; }
.scroll { overflow-x: auto; }
/* Narrow figures sit side by side; each figure is as wide as its chart, so its caption wraps to the chart's width. */
.figure-grid { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 4px 40px; }
figure { margin: 18px 0; }
figure.chart { width: min-content; max-width: 100%; }
figure.chart .plot { overflow-x: auto; }
figure.chart svg { display: block; }
figcaption { font-size: 13.5px; color: #333; margin-top: 6px; min-width: 320px; }
figure.note { flex: 1 1 100%; padding: 10px 14px; background: #f7f7f4; border-left: 3px solid #bbb; }
figure.note figcaption { margin: 0; color: #555; }
footer { margin-top: 36px; font-size: 12.5px; color: #666; border-top: 1px solid #ddd; padding-top: 10px; }
a { color: #0b57d0; }
`;
