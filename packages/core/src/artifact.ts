import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File, sha256Hex } from './hash.ts';
import { makeDirectory, unwritableReason } from './make-dir.ts';
import { ArtifactError, MANIFEST_FILE, parseManifest, serializeManifest, type Manifest, type ManifestFile, type UpstreamRef } from './manifest.ts';
import { parquetRowCount } from './parquet.ts';
import { removeStaleTempDirs, tempSibling } from './stale-temps.ts';

export { removeStaleTempDirs } from './stale-temps.ts';

/** Where a stage writes and what its manifest records besides the files (those are listed after writing). */
export type StageTarget = Omit<Manifest, 'schemaVersion' | 'files'> & { dir: string };

export interface StageOutput {
  dir: string;
  manifest: Manifest;
  manifestSha256: string;
  /** Absolute path of a file listed in the manifest; throws ArtifactError for anything else. */
  file(relPath: string): string;
  ref(): UpstreamRef;
}

export interface OpenStageOutputOptions {
  /** How to produce the missing output, appended to the "missing artifact" message. */
  hint?: string;
  /** Re-hash every listed file (default true). */
  verify?: boolean;
}

/** The directory every stage writes under (`<workspace>/artifacts/<preset>/<stage>/...`, see stageDir). */
export const ARTIFACTS_DIR = 'artifacts';

/**
 * `dir` as a manifest records it: relative to the artifacts root (the nearest ancestor named `artifacts`), posix
 * separators, so the same run in another checkout writes the same bytes. A dir outside any artifacts root, or one
 * already relative, is kept as given.
 */
export function artifactsRelativeDir(dir: string): string {
  if (!path.isAbsolute(dir)) return dir.split(path.sep).join('/');
  const parts = path.resolve(dir).split(path.sep);
  const at = parts.lastIndexOf(ARTIFACTS_DIR);
  if (at < 0 || at === parts.length - 1) return dir;
  return parts.slice(at + 1).join('/');
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function listFiles(root: string, stage: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      out.push(...(await listFiles(root, stage, relPath)));
    } else if (entry.isFile()) {
      out.push(relPath);
    } else {
      // A symlink's target is outside the manifest's control, so it could change unnoticed.
      throw new ArtifactError(
        `stage '${stage}' wrote ${relPath}, which is not a regular file; outputs may hold only regular files`,
        path.join(root, relPath),
        stage,
      );
    }
  }
  return out;
}

async function describeFiles(root: string, stage: string): Promise<ManifestFile[]> {
  const relPaths = await listFiles(root, stage);
  if (relPaths.includes(MANIFEST_FILE)) {
    throw new ArtifactError(`stage '${stage}' wrote its own ${MANIFEST_FILE}; that name is reserved`, path.join(root, MANIFEST_FILE), stage);
  }
  // Code-unit order keeps the manifest independent of locale and readdir order.
  relPaths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: ManifestFile[] = [];
  for (const relPath of relPaths) {
    const abs = path.join(root, relPath);
    const { size } = await stat(abs);
    const entry: ManifestFile = { path: relPath, sha256: await sha256File(abs), bytes: size };
    if (relPath.endsWith('.parquet')) entry.rows = await parquetRowCount(abs);
    files.push(entry);
  }
  return files;
}

/** Puts `tmpDir` at `absDir`, replacing any previous output; the old one is set aside first so a failed rename can be undone. */
async function swapIntoPlace(tmpDir: string, absDir: string): Promise<void> {
  let aside: string | undefined = tempSibling(absDir, '.old');
  try {
    await rename(absDir, aside);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    aside = undefined;
  }
  try {
    await rename(tmpDir, absDir);
  } catch (err) {
    if (aside !== undefined) await rename(aside, absDir);
    throw err;
  }
  // The new output is already in place; a leftover old copy is cleared by a later removeStaleTempDirs.
  if (aside !== undefined) await rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Writes a stage's output atomically: `write` fills a sibling temp dir, every file in it is
 * hashed into manifest.json (written last), and the temp dir is then renamed over `target.dir`.
 * If `write` throws, `target.dir` is untouched and the temp dir is removed; if the process dies,
 * `target.dir` is untouched and the leftover temp dir is cleared by the next write.
 */
export async function writeStageOutput(target: StageTarget, write: (tmpDir: string) => Promise<void>): Promise<Manifest> {
  const base: Manifest = {
    schemaVersion: 1,
    stage: target.stage,
    pipeline: target.pipeline,
    config: target.config,
    seed: target.seed,
    codeVersion: target.codeVersion,
    upstream: target.upstream.map((ref) => ({ ...ref, dir: artifactsRelativeDir(ref.dir) })),
    files: [],
  };
  const absDir = path.resolve(target.dir);
  const manifestPath = path.join(target.dir, MANIFEST_FILE);
  // Round-trip before doing any work, so a config JSON can't hold (NaN, a Map, ...) fails in
  // milliseconds rather than after the stage has run.
  parseManifest(serializeManifest(base), manifestPath, target.stage);

  try {
    await makeDirectory(path.dirname(absDir));
    await removeStaleTempDirs(absDir);
    const tmpDir = tempSibling(absDir);
    await mkdir(tmpDir);
    try {
      await write(tmpDir);
      const manifest: Manifest = { ...base, files: await describeFiles(tmpDir, target.stage) };
      await writeFile(path.join(tmpDir, MANIFEST_FILE), serializeManifest(manifest));
      await swapIntoPlace(tmpDir, absDir);
      return manifest;
    } catch (err) {
      await rm(tmpDir, { recursive: true, force: true });
      throw err;
    }
  } catch (err) {
    throw unwritable(err, absDir, target.stage) ?? err;
  }
}

/**
 * An error that means the disk is full or the place is not writable, as one naming the output it was writing (Node
 * names no path for some, a write's ENOSPC); undefined for any other error.
 */
function unwritable(err: unknown, dir: string, stage: string): ArtifactError | undefined {
  const why = unwritableReason(errorCode(err));
  if (why === undefined) return undefined;
  return new ArtifactError(`cannot write the output of stage '${stage}' to ${dir}: ${why} (${describe(err)})`, dir, stage, { cause: err });
}

async function readManifestBytes(manifestPath: string, stage?: string): Promise<Buffer | undefined> {
  try {
    return await readFile(manifestPath);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ArtifactError(`unreadable manifest: ${manifestPath} (${describe(err)})`, manifestPath, stage, { cause: err });
  }
}

/** The manifest of `dir`, or undefined if the stage has not (completely) run there. Malformed → ArtifactError. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const bytes = await readManifestBytes(manifestPath);
  return bytes === undefined ? undefined : parseManifest(bytes.toString('utf8'), manifestPath);
}

async function verifyFile(dir: string, file: ManifestFile, stage: string): Promise<void> {
  const filePath = path.join(dir, file.path);
  const corrupt = (what: string): ArtifactError => new ArtifactError(`corrupt artifact: ${filePath} (made by stage '${stage}'): ${what}`, filePath, stage);
  let info: Stats;
  try {
    info = await lstat(filePath);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') throw corrupt('file is missing');
    throw corrupt(`cannot stat file (${describe(err)})`);
  }
  if (!info.isFile()) throw corrupt('not a regular file');
  if (info.size !== file.bytes) throw corrupt(`size is ${info.size} bytes, manifest records ${file.bytes}`);
  const actual = await sha256File(filePath);
  if (actual !== file.sha256) throw corrupt(`sha256 is ${actual}, manifest records ${file.sha256}`);
}

/**
 * Opens an upstream stage's output, failing with an ArtifactError that says what to do when it
 * is missing, malformed, made by another stage, or (with `verify`, the default) corrupt.
 */
export async function openStageOutput(dir: string, stage: string, options: OpenStageOutputOptions = {}): Promise<StageOutput> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const bytes = await readManifestBytes(manifestPath, stage);
  if (bytes === undefined) {
    const hint = options.hint === undefined ? '' : ` (${options.hint})`;
    throw new ArtifactError(`missing artifact: ${manifestPath} is made by stage '${stage}' — run that stage first${hint}`, manifestPath, stage);
  }
  const manifest = parseManifest(bytes.toString('utf8'), manifestPath, stage);
  if (manifest.stage !== stage) {
    throw new ArtifactError(`wrong artifact: ${manifestPath} was made by stage '${manifest.stage}', expected stage '${stage}'`, manifestPath, stage);
  }
  if (options.verify ?? true) {
    for (const file of manifest.files) await verifyFile(dir, file, stage);
  }

  const manifestSha256 = sha256Hex(bytes);
  const listed = new Set(manifest.files.map((f) => f.path));
  return {
    dir,
    manifest,
    manifestSha256,
    file(relPath: string): string {
      const normalized = path.posix.normalize(relPath);
      if (!listed.has(normalized)) {
        throw new ArtifactError(`not in artifact: '${relPath}' is not listed in ${manifestPath} (made by stage '${stage}')`, path.join(dir, relPath), stage);
      }
      return path.resolve(dir, normalized);
    },
    ref(): UpstreamRef {
      return { stage, dir: artifactsRelativeDir(dir), manifestSha256 };
    },
  };
}
