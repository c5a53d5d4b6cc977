import { humanBesideGold } from '../human-beside-gold.ts';
import type { FitInput, FitResults, Finding } from '../types.ts';
import { escapeMarkdownCell } from './escape.ts';
import { percent } from './format.ts';
import { FORM_HELDOUT_HEADERS, FORM_R2_HEADERS, formsTables } from './forms-table.ts';
import { KL_ESTIMATOR_HEADERS, KL_ESTIMATOR_TITLE, klEstimatorIntro, klEstimatorRows } from './kl-estimators-table.ts';
import type { RenderedFigure } from './rendered.ts';
import { FIT_HEADERS, HUMAN_HEADERS, LEXICON_GOLD_NOTE, UNFITTED_HEADERS, findingRows, fitRows, humanRows, humanTableIntro, unfittedRows } from './tables.ts';

/** summary.md: the findings and fits tables, and links to the figure files, for reading in a terminal or a repo. */
export function renderMarkdown(input: FitInput, results: FitResults, findings: readonly Finding[], figures: readonly RenderedFigure[]): string {
  const findingTable = markdownTable(
    ['#', 'Finding', 'Holds', 'Proxy seeds', 'Evidence'],
    findingRows(findings).map((row) => [String(row.id), row.title, `${row.symbol} ${row.verdict}`, row.seeds, row.evidence]),
  );
  const fits = fitRows(results);
  const figureLines = figures.map((figure) =>
    figure.kind === 'chart' ? `- [${escapeLinkText(figure.title)}](${figure.file}): ${figure.caption}` : `- ${figure.title}: ${figure.note}`,
  );
  return [
    `# Scaling laws for reward model overoptimisation — preset \`${input.preset.replace(/`/g, "'")}\``,
    '',
    `Gold and proxy in initial-policy gold standard deviations; d = √KL (nats); ${percent(input.options.confidence)} bootstrap intervals over prompts. The full report with figures is \`index.html\`.`,
    '',
    '## Findings',
    '',
    findingTable,
    '',
    '## The human beside the gold',
    '',
    ...humanLines(input),
    '',
    `## ${KL_ESTIMATOR_TITLE}`,
    '',
    ...(input.rl.length > 0 ? [klEstimatorIntro(), '', markdownTable([...KL_ESTIMATOR_HEADERS], klEstimatorRows(input.rl))] : ['No PPO runs.']),
    '',
    '## Fits',
    '',
    fits.length > 0 ? markdownTable([...FIT_HEADERS], fits) : 'No curve fits.',
    '',
    ...(results.unfitted.length > 0 ? ['### Curves that could not be fitted', '', markdownTable([...UNFITTED_HEADERS], unfittedRows(results)), ''] : []),
    ...formsLines(input, results),
    '## Figures',
    '',
    ...figureLines,
    '',
  ].join('\n');
}

/** Finding 2's table: every curve's R², judged or reported, and the held-out comparison of the two forms. */
function formsLines(input: FitInput, results: FitResults): string[] {
  const tables = formsTables(input, results);
  if (tables.curves.length === 0) return [];
  return [
    '### Finding 2: the forms, curve by curve',
    '',
    tables.intro,
    '',
    markdownTable([...FORM_R2_HEADERS], tables.curves),
    '',
    markdownTable([...FORM_HELDOUT_HEADERS], tables.heldOut),
    '',
  ];
}

function humanLines(input: FitInput): string[] {
  if (input.goldKind === 'lexicon') return [LEXICON_GOLD_NOTE];
  const rows = humanBesideGold(input);
  return [humanTableIntro(rows), '', rows.length > 0 ? markdownTable([...HUMAN_HEADERS], humanRows(rows)) : 'No curves.'];
}

function markdownTable(headers: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

function escapeLinkText(text: string): string {
  return text.replace(/[[\]]/g, (c) => `\\${c}`);
}
