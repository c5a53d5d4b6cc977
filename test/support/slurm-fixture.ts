import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repositoryRoot } from './workspace.ts';

/**
 * A small Nx workspace whose tasks take a second, for testing the Slurm runner's mechanics (failures, Ctrl-C,
 * concurrent cache writes) without the ML stages. Project `p`:
 *
 *   base ─┬─ broken (exits 3) ── after-broken
 *         ├─ side-1 … side-4 (each writes its own output; run at once)
 *         └─ slow (sleeps 60 s) ── after-slow
 *   p:failing = noop over after-broken and the sides;  p:sides = noop over the sides;  p:slow-chain = after-slow
 */
const write = (file: string, text: string): string =>
  `node -e "require('fs').mkdirSync(require('path').dirname('${file}'),{recursive:true});require('fs').writeFileSync('${file}','${text}')"`;

export async function slurmFixtureWorkspace(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'goodhart-slurm-fixture-'));
  await writeFile(join(root, 'nx.json'), JSON.stringify({ cacheDirectory: '.nx/cache', useDaemonProcess: false }, null, 2));
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'slurm-fixture', private: true }, null, 2));
  await writeFile(join(root, '.gitignore'), 'node_modules\n.nx\nout\nartifacts\n');
  await symlink(join(repositoryRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  const upstreamManifests = [{ dependentTasksOutputFiles: '**/manifest.json', transitive: true }];
  const task = (command: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    executor: 'nx:run-commands',
    options: { command, cwd: '{workspaceRoot}' },
    cache: true,
    ...extra,
  });
  const sides = [1, 2, 3, 4].map((n) => `side-${n}`);
  const targets: Record<string, unknown> = {
    base: task(write('out/base/manifest.json', 'base v1'), { outputs: ['{workspaceRoot}/out/base'] }),
    broken: task('node -e "process.exit(3)"', { dependsOn: ['base'], inputs: upstreamManifests }),
    'after-broken': task(write('out/after-broken/manifest.json', 'never'), { dependsOn: ['broken'], outputs: ['{workspaceRoot}/out/after-broken'] }),
    slow: task('sleep 60', { dependsOn: ['base'] }),
    'after-slow': task('echo after-slow', { dependsOn: ['slow'] }),
    'slow-chain': { executor: 'nx:noop', dependsOn: ['after-slow'] },
    failing: { executor: 'nx:noop', dependsOn: ['after-broken', ...sides] },
    sides: { executor: 'nx:noop', dependsOn: sides },
  };
  for (const side of sides) {
    targets[side] = task(write(`out/${side}/data.txt`, `${side} output`), {
      dependsOn: ['base'],
      inputs: upstreamManifests,
      outputs: [`{workspaceRoot}/out/${side}`],
    });
  }
  await mkdir(join(root, 'p'));
  await writeFile(join(root, 'p', 'project.json'), JSON.stringify({ name: 'p', root: 'p', targets }, null, 2));
  await execa('git', ['init', '-q'], { cwd: root });
  return root;
}
