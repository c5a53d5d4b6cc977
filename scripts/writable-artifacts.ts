import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory, unwritableReason } from '@goodhart/core';

/** How deep below artifacts/<preset> the check goes: stage, its cells/runs/scores, one cell (where Nx restores). */
const DEPTH = 3;

/** "cannot write to <dir>: <the real cause>", naming the directory the system refused when it is another one. */
function notWritable(dir: string, error: unknown, refusedAt?: string): Error {
  const { code } = error as NodeJS.ErrnoException;
  const why = unwritableReason(code) ?? 'it is not writable';
  const where = refusedAt && refusedAt !== dir ? `; refused at ${refusedAt}` : '';
  return new Error(`cannot write to ${dir}: ${why} (${code ?? (error as Error).message}${where}); outputs go there`);
}

/**
 * Checks that `dir` (artifacts/<preset>) and the directories below it, as deep as Nx restores outputs, take a new
 * file, before Nx starts: a read-only or full artifacts directory then stops the run with an error naming the path
 * and the cause, not with Nx's "Operation not permitted (os error 1)" naming none. A probe file is written and
 * removed in each (the permission bits alone do not tell: root writes through them, an immutable or read-only mount
 * refuses root too).
 */
export async function checkWritable(dir: string): Promise<void> {
  try {
    await makeDirectory(dir); // on a read-only file system this names EROFS, not Node's recursive mkdir's ENOENT
  } catch (error) {
    throw notWritable(dir, error, (error as NodeJS.ErrnoException).path);
  }
  const queue: [string, number][] = [[dir, 0]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [current, depth] = next;
    const probe = join(current, `.goodhart-write-probe-${process.pid}`);
    try {
      await writeFile(probe, 'probe', { flag: 'wx' });
    } catch (error) {
      throw notWritable(current, error);
    } finally {
      await rm(probe, { force: true });
    }
    if (depth >= DEPTH) continue;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.isDirectory()) queue.push([join(current, entry.name), depth + 1]);
    }
  }
}
