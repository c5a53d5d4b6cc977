import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `mkdir -p` whose error names the real cause. Node's recursive mkdir reports ENOENT for a directory it cannot create
 * on a read-only file system (measured on Node 20: `mkdir -p <ro tmpfs>/a` gives ENOENT, plain `mkdir` gives EROFS),
 * so after such an ENOENT the first missing directory is created on its own, which fails with the real code
 * (EROFS, EACCES, ENOSPC …) and the path it was creating.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const missing = await firstMissingDirectory(path.resolve(dir));
    if (missing === undefined) throw error;
    await mkdir(missing); // throws the real cause; if it does not, the recursive mkdir can go on
    await mkdir(dir, { recursive: true });
  }
}

/** The outermost directory of `dir` that does not exist (its parent does); undefined when none is missing. */
async function firstMissingDirectory(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let current = dir; ; current = path.dirname(current)) {
    const exists = await stat(current).then(
      () => true,
      () => false,
    );
    if (exists) return missing;
    missing = current;
    if (path.dirname(current) === current) return missing;
  }
}

/** Why a write failed, in words, for an error code that means the place cannot take it; undefined for other codes. */
export function unwritableReason(code: string | undefined): string | undefined {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'EROFS':
      return 'it is not writable: a read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'it is not writable: permission denied';
    default:
      return undefined;
  }
}
