import { join } from 'node:path';
import { execa } from 'execa';
import { repositoryRoot } from './workspace.ts';

/** Runs one Nx task in `workspace` (a copy of the repository) and says whether Nx restored all of it from its cache. */
export async function runNxTask(workspace: string, task: string): Promise<{ cached: boolean; output: string }> {
  const result = await execa('node', [join(repositoryRoot, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'run', task, '--outputStyle=stream'], {
    cwd: workspace,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', GOODHART_BACKEND: 'wasm' },
    all: true,
  });
  const output = result.all ?? '';
  const summary = /Cache:\s+(\d+)\/(\d+) hit/.exec(output);
  if (!summary) throw new Error(`no cache summary in Nx output:\n${output}`);
  return { cached: summary[1] === summary[2], output };
}
