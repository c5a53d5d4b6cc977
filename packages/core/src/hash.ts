import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams the file so multi-GB artifacts never sit in memory whole. */
export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(filePath), hash);
  return hash.digest('hex');
}

const SKIPPED_DIRS = new Set(['node_modules', 'test', 'tests', '__tests__']);

function isHashedFile(name: string): boolean {
  if (name === 'package.json' || name === 'binding.gyp') return true;
  // The native engine's C++ sources change the numbers the stages compute.
  if (/\.(cc|h)$/.test(name)) return true;
  // Test files living next to sources change no stage's output, so they must not bust caches.
  return name.endsWith('.ts') && !/\.(test|spec)\.ts$/.test(name);
}

function collectFiles(dir: string, out: Set<string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // Dot-dirs hold tool caches and VCS state, not code.
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) collectFiles(full, out);
    } else if (entry.isFile() && isHashedFile(entry.name)) {
      out.add(full);
    }
  }
}

function commonAncestor(dirs: string[]): string {
  let parts = dirs[0].split(path.sep);
  for (const dir of dirs.slice(1)) {
    const other = dir.split(path.sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}

/**
 * Fingerprint of the code that produced an artifact: 16 hex chars of a sha256 over the
 * relative paths and contents of every *.ts, C++ source and package.json under `dirs`.
 * Paths are taken relative to the dirs' common ancestor, so the value does not depend on the
 * cwd, on where the repo is checked out, or on the order of `dirs`.
 */
export function codeVersion(dirs: string[]): string {
  if (dirs.length === 0) throw new Error('codeVersion: no directories given');
  const roots = dirs.map((d) => path.resolve(d));
  for (const root of roots) {
    // A typo'd dir would otherwise silently hash to "no code" and never change.
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`codeVersion: not a directory: ${root}`);
    }
  }
  const files = new Set<string>();
  for (const root of roots) collectFiles(root, files);

  const base = commonAncestor(roots);
  const entries = [...files].map((abs) => ({
    abs,
    rel: path.relative(base, abs).split(path.sep).join('/'),
  }));
  // Code-unit order, not localeCompare: the locale must not change the hash.
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

  const hash = createHash('sha256');
  for (const { abs, rel } of entries) {
    const content = readFileSync(abs);
    // Length-prefixed so that no path/content split can collide with another.
    hash.update(`${rel}\0${content.byteLength}\0`);
    hash.update(content);
  }
  return hash.digest('hex').slice(0, 16);
}
