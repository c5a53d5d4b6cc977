/**
 * docs/outputs.md, generated: every Parquet table's columns, types and meanings come from its `defineTable`
 * declaration in packages/core/src/tables/, its location and description from the declaration's doc comment
 * (`/** <stage>/<path>/<file>.parquet: what a row is. *\/`), and the prose about each stage's other files from
 * scripts/docs/outputs-template.md. `npm run docs:outputs` writes it; test/docs-outputs.test.ts fails when the
 * committed file differs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@goodhart/core';
import type { TableColumns } from '@goodhart/core';

export const TABLES_DIR = join('packages', 'core', 'src', 'tables');
export const TEMPLATE = join('scripts', 'docs', 'outputs-template.md');
export const OUTPUTS_DOC = join('docs', 'outputs.md');

/** A `defineTable` declaration as written in the source: its export name and its doc comment's text. */
export interface Declaration {
  name: string;
  source: string;
  doc: string | undefined;
}

/** A table as the page shows it. */
export interface DocumentedTable {
  name: string;
  /** Below artifacts/<preset>/, e.g. `bon/curves/curves.parquet`; undefined for a reader's view with no file. */
  path: string | undefined;
  description: string;
  columns: TableColumns;
}

interface DeclaredSpec {
  file: string;
  columns: TableColumns;
}

/** Every `export const X = defineTable(` in a source text, with the `/** … *\/` comment right above it if any. */
export function findDeclarations(text: string, source: string): Declaration[] {
  const found: Declaration[] = [];
  for (const match of text.matchAll(/(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?export const (\w+)\s*=\s*defineTable\s*\(/g)) {
    const doc = match[1]
      ?.split('\n')
      .map((line) => line.replace(/^\s*\*\s?/, '').trim())
      .join(' ')
      .trim();
    found.push({ name: match[2], source, doc: doc || undefined });
  }
  return found;
}

/** Splits a doc comment into the table's path (when it starts with one) and the rest. */
export function documentTable(declaration: Declaration, spec: DeclaredSpec): DocumentedTable {
  const where = `${declaration.name} (${declaration.source})`;
  if (!declaration.doc) throw new Error(`${where} has no doc comment: write /** <stage>/<dir>/${spec.file}: what a row is. */ above it`);
  const match = /^([a-z][\w-]*(?:\/[\w<>.-]+)+\.parquet)(?::\s*(.*)|\.)?$/.exec(declaration.doc);
  if (!match) return { name: declaration.name, path: undefined, description: declaration.doc, columns: spec.columns };
  const [, path, rest] = match;
  if (!path.endsWith(`/${spec.file}`)) throw new Error(`${where}: its doc comment names ${path}, but it declares the file ${spec.file}`);
  return { name: declaration.name, path, description: rest?.trim() ?? '', columns: spec.columns };
}

function isTableSpec(value: unknown): value is DeclaredSpec {
  if (typeof value !== 'object' || value === null) return false;
  const spec = value as Record<string, unknown>;
  return typeof spec.file === 'string' && typeof spec.columns === 'object' && typeof spec.fromRows === 'function';
}

/** Every table core exports, matched one to one with the declarations in its tables directory. */
export function declaredTables(root: string): DocumentedTable[] {
  const dir = join(root, TABLES_DIR);
  const declarations = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .flatMap((file) => findDeclarations(readFileSync(join(dir, file), 'utf8'), join(TABLES_DIR, file)));
  const exported = Object.entries(core as Record<string, unknown>).filter(([, value]) => isTableSpec(value));
  const declaredNames = new Set(declarations.map((d) => d.name));
  const undeclared = exported.filter(([name]) => !declaredNames.has(name)).map(([name]) => name);
  if (undeclared.length > 0) throw new Error(`@goodhart/core exports tables not declared in ${TABLES_DIR}: ${undeclared.join(', ')}`);
  const specs = new Map(exported as [string, DeclaredSpec][]);
  return declarations.map((declaration) => {
    const spec = specs.get(declaration.name);
    if (!spec) throw new Error(`${declaration.name} (${declaration.source}) is not exported from @goodhart/core`);
    return documentTable(declaration, spec);
  });
}

/** Markdown table cells cannot hold a raw `|` or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function renderTable(table: DocumentedTable & { path: string }): string {
  const lines = [`### \`${table.path}\``, ''];
  const { description } = table;
  if (description) lines.push(`${description[0].toUpperCase()}${description.slice(1).replace(/\.?$/, '.')}`, '');
  lines.push('| column | type | meaning |', '| --- | --- | --- |');
  for (const [name, spec] of Object.entries(table.columns)) lines.push(`| \`${name}\` | ${spec.type} | ${cell(spec.meaning)} |`);
  return lines.join('\n');
}

const MARKER = /<!-- tables: ([\w-]+) -->/g;

/** The page: the template with each `<!-- tables: <stage> -->` marker replaced by that stage's tables. */
export function renderOutputsDoc(template: string, tables: readonly DocumentedTable[]): string {
  const located = tables.filter((t): t is DocumentedTable & { path: string } => t.path !== undefined);
  const byStage = new Map<string, (DocumentedTable & { path: string })[]>();
  for (const table of located) {
    const stage = table.path.split('/')[0];
    byStage.set(stage, [...(byStage.get(stage) ?? []), table]);
  }
  for (const list of byStage.values()) list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const markers = [...template.matchAll(MARKER)].map((m) => m[1]);
  const unplaced = [...byStage.keys()].filter((stage) => !markers.includes(stage));
  if (unplaced.length > 0) throw new Error(`${TEMPLATE} has no <!-- tables: ${unplaced[0]} --> marker for the ${unplaced.join(', ')} tables`);
  const empty = markers.filter((stage) => !byStage.has(stage));
  if (empty.length > 0) throw new Error(`${TEMPLATE} has a marker for ${empty.join(', ')}, but no table is declared there`);

  const body = template.replace(MARKER, (_, stage: string) => byStage.get(stage)!.map(renderTable).join('\n\n'));
  const views = tables.filter((t) => t.path === undefined);
  const viewNote =
    views.length === 0 ? '' : `\n## Declarations without a file of their own\n\n${views.map((t) => `- \`${t.name}\`: ${t.description}`).join('\n')}\n`;
  const header =
    '<!-- Generated by `npm run docs:outputs` from the defineTable declarations in packages/core/src/tables/ and ' +
    'scripts/docs/outputs-template.md. Do not edit: change those and regenerate. -->\n\n';
  return `${header}${body.trimEnd()}\n${viewNote}`;
}

/** docs/outputs.md as the declarations in this checkout would have it. */
export function currentOutputsDoc(root: string): string {
  return renderOutputsDoc(readFileSync(join(root, TEMPLATE), 'utf8'), declaredTables(root));
}
