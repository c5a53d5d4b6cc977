import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How deep below artifacts/<preset> the check goes: stage, its cells/runs/scores, one cell (where Nx restores). */
const DEPTH = 3;

/**
 * Checks that `dir` (artifacts/<preset>) and the directories below it, as deep as Nx restores outputs, take a new
 * file, before Nx starts: a read-only or full artifacts directory then stops the run with an error naming the path,
 * not with Nx's "Operation not permitted (os error 1)" naming none. A probe file is written and removed in each (the
 * permission bits alone do not tell: root writes through them, an immutable or read-only mount refuses root too).
 */
export async function checkWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot write to ${dir}: it is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); outputs go there`);
  }
  const queue: [string, number][] = [[dir, 0]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [current, depth] = next;
    const probe = join(current, `.goodhart-write-probe-${process.pid}`);
    try {
      await writeFile(probe, 'probe', { flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : 'it is not writable';
      throw new Error(`cannot write to ${current}: ${why} (${code ?? (error as Error).message}); outputs go there`);
    } finally {
      await rm(probe, { force: true });
    }
    if (depth >= DEPTH) continue;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.isDirectory()) queue.push([join(current, entry.name), depth + 1]);
    }
  }
}
