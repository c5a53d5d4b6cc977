import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * What a task's hash would have folded in from its upstream outputs, computed inside the job.
 *
 * Why: a job runs exactly one task (`nx run <task> --excludeTaskDependencies`), because running it with its
 * dependencies would make Nx restore every upstream output from the cache (without the daemon Nx always copies),
 * rewriting files that other jobs are reading at that moment. Excluding the dependencies also drops them from the
 * task graph, so Nx's `dependentTasksOutputFiles` inputs hash nothing (measured with Nx 24: a changed upstream
 * manifest then still hits the cache). The job therefore hashes the same files itself — the globs and directories
 * Nx lists in the task's plan — and passes the digest to Nx as a task override, which Nx puts in the task hash.
 */

/** `**` crosses directories, `*` and `?` do not: enough for the output globs targets declare (`**\/manifest.json`). */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i];
    if (char === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** sha256 over (path, content hash) of every matching file, in path order; a missing directory hashes as empty. */
export async function upstreamDigest(root: string, inputs: readonly { glob: string; dir: string }[]): Promise<string> {
  const lines: string[] = [];
  for (const { glob, dir } of inputs) {
    const pattern = globToRegExp(glob);
    const base = join(root, dir);
    for (const file of await filesUnder(base)) {
      const path = relative(base, file).split(sep).join('/');
      if (!pattern.test(path)) continue;
      const content = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      lines.push(`${dir}/${path} ${content}`);
    }
  }
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}
