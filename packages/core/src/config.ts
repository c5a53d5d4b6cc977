import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { pipelineSchema, type PipelineConfig } from './config-schema.ts';
import { firstDuplicateKey } from './json-keys.ts';
import { parseSeedVariant } from './pipeline/seed-variant.ts';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid pipeline config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The directory holding nx.json: artifacts and pipelines are resolved against it. */
export function workspaceRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json found in ${from} or any parent directory`);
    dir = parent;
  }
}

/** A preset name (`quick`), a seed variant of one (`quick@s2`: the preset's file) or a path to a JSON file. */
export function pipelinePath(preset: string, root: string = workspaceRoot()): string {
  if (preset.endsWith('.json')) return resolve(preset);
  return join(root, 'pipelines', `${parseSeedVariant(preset)?.preset ?? preset}.json`);
}

/**
 * A preset's config, validated. A seed variant (`quick@s2`, pipeline/seed-variant.ts) is its preset's file with
 * `name` set to the variant's name (so its artifacts and manifests are its own) and `seed` to the variant's seed.
 */
export function loadPipeline(preset: string, root?: string): PipelineConfig {
  const variant = preset.endsWith('.json') ? undefined : parseSeedVariant(preset);
  if (variant) return { ...loadPipeline(variant.preset, root), name: preset, seed: variant.seed };
  const file = pipelinePath(preset, root);
  if (!existsSync(file)) {
    throw new ConfigError(file, [`file not found (presets live in pipelines/<name>.json)`]);
  }
  let raw: unknown;
  const text = readFileSync(file, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${clip((error as Error).message, MAX_PROBLEM_CHARACTERS)}`]);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new ConfigError(file, [`field "${clip(duplicate)}": given twice (JSON keeps only the last); remove one of them`]);
  }
  const config = parsePipeline(raw, file);
  const expectedName = basename(file, '.json');
  if (config.name !== expectedName) {
    throw new ConfigError(file, [`field "name": got ${echo(config.name)}; must equal the file name "${clip(expectedName)}"`]);
  }
  return config;
}

export function parsePipeline(raw: unknown, file = '<inline>'): PipelineConfig {
  const result = pipelineSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => describeIssue(issue, raw)),
  );
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const field = clip(issue.path.map(String).join('.') || '(top level)');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys
      .map((key) => {
        const full = clip([...issue.path.map(String), key].join('.'));
        return `unknown field "${full}"; allowed here: ${allowed.join(', ')}`;
      })
      .join('\n  - ');
  }
  const value = valueAt(raw, issue.path);
  if (value === undefined && issue.code === 'invalid_type') {
    return `missing field "${field}" (expected ${issue.expected})`;
  }
  const got = `got ${echo(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `field "${field}": ${got}; expected ${issue.expected}`;
    case 'invalid_value':
      return `field "${field}": ${got}; allowed values: ${issue.values.map((v) => echo(v)).join(', ')}`;
    case 'too_small':
      return `field "${field}": ${got}; must be ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}${sizeUnit(issue.origin)}`;
    case 'too_big':
      return `field "${field}": ${got}; must be ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}${sizeUnit(issue.origin)}`;
    default:
      return clip(`field "${field}": ${got}; ${issue.message}`, MAX_PROBLEM_CHARACTERS);
  }
}

/** How much of a bad value an error echoes: enough to recognise it, never a 50 MB line. */
export const MAX_ECHO_CHARACTERS = 200;
const MAX_PROBLEM_CHARACTERS = 1000;

function clip(text: string, limit = MAX_ECHO_CHARACTERS): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length.toLocaleString('en-US')} characters in all)`;
}

/** A config value as an error shows it: JSON, cut short; a number JSON.parse made infinite (1e400) shown as such. */
export function echo(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return `${value} (the file has a number beyond the range of a double, such as 1e400)`;
  }
  return clip(JSON.stringify(value) ?? String(value));
}

function sizeUnit(origin: string): string {
  return origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '';
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Walks the schema along `path` to list the fields an object there may have (for "unknown field" messages). */
function allowedKeysAt(path: PropertyKey[]): string[] {
  let node: z.ZodType = pipelineSchema as unknown as z.ZodType;
  for (const key of path) {
    node = unwrap(node);
    const def = node.def as { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType };
    if (def.type === 'object' && def.shape) node = def.shape[String(key)] ?? node;
    else if (def.type === 'record' && def.valueType) node = def.valueType;
    else if (def.type === 'array' && def.element) node = def.element;
  }
  const def = unwrap(node).def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(node: z.ZodType): z.ZodType {
  let current = node;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'nullable') && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** Picks the named top-level fields: the part of the config a stage reads, written into its manifest. */
export function configSlice<K extends keyof PipelineConfig>(config: PipelineConfig, fields: readonly K[]): Pick<PipelineConfig, K> {
  const slice = {} as Pick<PipelineConfig, K>;
  for (const field of fields) slice[field] = config[field];
  return slice;
}
