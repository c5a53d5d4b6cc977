import { join } from 'node:path';
import { ARTIFACTS_DIR } from './artifact.ts';
import { workspaceRoot } from './config.ts';
import { removeAbandonedTempDirs } from './stale-temps.ts';

/**
 * Runs a stage CLI's main: an error prints as one clear message (the stack only with GOODHART_DEBUG=1, since
 * config and artifact errors already name the field or file) and exits 1. Before main, temp dirs left anywhere
 * under artifacts/ by killed runs (of any stage) are removed.
 */
export function runCli(name: string, main: () => Promise<void>): void {
  clearAbandonedTemps(name)
    .then(main)
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const stack = process.env.GOODHART_DEBUG === '1' && error instanceof Error && error.stack ? `\n${error.stack}` : '';
      process.stderr.write(`${name}: ${message}${stack}\n`);
      process.exit(1);
    });
}

async function clearAbandonedTemps(name: string): Promise<void> {
  const root = safeWorkspaceRoot();
  if (root === undefined) return;
  for (const removed of await removeAbandonedTempDirs(join(root, ARTIFACTS_DIR))) {
    process.stderr.write(`${name}: removed ${removed}, left by a run that was killed\n`);
  }
}

function safeWorkspaceRoot(): string | undefined {
  try {
    return workspaceRoot();
  } catch {
    return undefined;
  }
}
