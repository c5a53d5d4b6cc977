import { z } from 'zod';

/** Name of the manifest inside every stage output dir; it is written last, so its presence marks a complete output. */
export const MANIFEST_FILE = 'manifest.json';

export interface ManifestFile {
  /** Relative to the stage dir, posix separators. */
  path: string;
  sha256: string;
  bytes: number;
  /** Only for .parquet files. */
  rows?: number;
}

export interface UpstreamRef {
  stage: string;
  /** The upstream output's dir relative to the artifacts root (`<preset>/<stage>/...`), never a checkout's absolute path. */
  dir: string;
  manifestSha256: string;
}

export interface Manifest {
  schemaVersion: 1;
  stage: string;
  pipeline: string;
  /** The config slice the stage read. */
  config: unknown;
  seed: number;
  codeVersion: string;
  upstream: UpstreamRef[];
  files: ManifestFile[];
}

/** A stage's output (or a file in it) is missing, malformed or corrupt. */
export class ArtifactError extends Error {
  readonly path: string;
  readonly stage?: string;

  constructor(message: string, path: string, stage?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactError';
    this.path = path;
    if (stage !== undefined) this.stage = stage;
  }
}

/** Rejects absolute paths, `..`, backslashes and empty segments so a manifest can never point outside its dir. */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex chars');
const countSchema = z.number().int().nonnegative();

const manifestSchema = z.strictObject({
  schemaVersion: z.literal(1),
  stage: z.string().min(1),
  pipeline: z.string().min(1),
  config: z.unknown().refine((v) => v !== undefined, 'is required'),
  seed: z.number(),
  codeVersion: z.string().min(1),
  upstream: z.array(z.strictObject({ stage: z.string().min(1), dir: z.string().min(1), manifestSha256: sha256Schema })),
  files: z
    .array(
      z.strictObject({
        path: z
          .string()
          .refine(isSafeRelativePath, 'must be a relative posix path inside the stage dir')
          .refine((p) => p !== MANIFEST_FILE, `must not list ${MANIFEST_FILE} itself`),
        sha256: sha256Schema,
        bytes: countSchema,
        rows: countSchema.optional(),
      }),
    )
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, 'lists a path twice'),
});

/** Parses manifest.json text; anything unexpected becomes an ArtifactError naming `manifestPath`. */
export function parseManifest(text: string, manifestPath: string, stage?: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ArtifactError(`malformed manifest: ${manifestPath} is not valid JSON (${why})`, manifestPath, stage, {
      cause: err,
    });
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const why = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
    throw new ArtifactError(`malformed manifest: ${manifestPath}: ${why}`, manifestPath, stage);
  }
  const m = result.data;
  return {
    schemaVersion: m.schemaVersion,
    stage: m.stage,
    pipeline: m.pipeline,
    config: m.config,
    seed: m.seed,
    codeVersion: m.codeVersion,
    upstream: m.upstream,
    files: m.files,
  };
}

/**
 * Rebuilds `value` with object keys sorted, so equal configs serialise to equal bytes however
 * they were assembled. Throws on values JSON would silently mangle (NaN → null, Map → {}).
 */
function canonical(value: unknown, where: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`manifest: ${where} is ${value}, which JSON cannot represent`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => canonical(v, `${where}[${i}]`));
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`manifest: ${where} is a ${value.constructor?.name ?? 'non-plain object'}; use plain JSON data`);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v: unknown = (value as Record<string, unknown>)[key];
      // Matches JSON.stringify, which drops undefined properties.
      if (v !== undefined) out[key] = canonical(v, `${where}.${key}`);
    }
    return out;
  }
  throw new TypeError(`manifest: ${where} is a ${typeof value}, which JSON cannot represent`);
}

/** Deterministic manifest.json text: fixed key order, sorted config keys, 2-space indent, trailing newline. */
export function serializeManifest(m: Manifest): string {
  const ordered = {
    schemaVersion: m.schemaVersion,
    stage: m.stage,
    pipeline: m.pipeline,
    config: canonical(m.config, 'config'),
    seed: canonical(m.seed, 'seed'),
    codeVersion: m.codeVersion,
    upstream: m.upstream.map((u) => ({ stage: u.stage, dir: u.dir, manifestSha256: u.manifestSha256 })),
    files: m.files.map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes, rows: f.rows })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
