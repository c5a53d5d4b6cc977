import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Where a task's output really lives: a workspace-relative path Nx can cache, or a place outside the workspace. */
export type RealOutput = { inside: true; output: string } | { inside: false; real: string };

/**
 * Resolves the symlinks on a task's workspace-relative output path (`artifacts` or `artifacts/<preset>` may be a link
 * to a bigger disk). Nx refuses to cache outputs below a symlink, and restoring them deletes the link and writes a
 * real directory in its place (measured, Nx 24), so outputs are declared at their real path: for a link into the
 * workspace, that path is still inside it and Nx caches and restores there, leaving the link as it is. A link out of
 * the workspace cannot be cached by Nx at all (its outputs must lie inside the workspace), so it is reported as such.
 * Parts of the path that do not exist yet are kept as written below their deepest existing ancestor.
 */
export function realOutput(workspaceRoot: string, output: string): RealOutput {
  const parts = output.split('/');
  let existing = parts.length;
  while (existing > 0 && !existsSync(join(workspaceRoot, ...parts.slice(0, existing)))) existing -= 1;
  const base = realpathSync(join(workspaceRoot, ...parts.slice(0, existing)));
  const real = join(base, ...parts.slice(existing));
  const path = relative(realpathSync(workspaceRoot), real);
  if (path === '' || path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) return { inside: false, real };
  return { inside: true, output: path.split(sep).join('/') };
}
