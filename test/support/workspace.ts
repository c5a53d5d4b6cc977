import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { workspaceRoot } from '@goodhart/core';

/**
 * A throwaway workspace root for stage tests: its own pipelines/ and artifacts/, the repository's packages and
 * node_modules linked in. Tests that run stages in parallel each get one, so none reads another's half-replaced
 * artifacts.
 */
export const repositoryRoot = workspaceRoot();

export type PipelineJson = Record<string, unknown> & { name: string };

/** pipelines/test.json renamed to `name`, with `edit` applied. */
export async function testPreset(name: string, edit: (config: Record<string, Record<string, unknown>>) => void = () => {}): Promise<PipelineJson> {
  const config = JSON.parse(await readFile(join(repositoryRoot, 'pipelines', 'test.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  edit(config);
  return { ...config, name };
}

export async function tempWorkspace(presets: readonly PipelineJson[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-stage-'));
  await writeFile(join(dir, 'nx.json'), '{}\n');
  await symlink(join(repositoryRoot, 'packages'), join(dir, 'packages'), 'dir');
  await symlink(join(repositoryRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await mkdir(join(dir, 'pipelines'));
  for (const preset of presets) await writeFile(join(dir, 'pipelines', `${preset.name}.json`), JSON.stringify(preset, null, 2));
  return dir;
}

/**
 * A copy of the repository for running Nx for real (its own cache, artifacts and pipeline files): the workspace
 * files, the Nx plugin, every package's manifest, project.json and source (C++ included), and the given presets; node_modules is
 * linked, and the copy is a git repository because Nx reads .gitignore through git.
 */
export async function copyRepository(presets: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-nx-'));
  for (const file of ['nx.json', 'package.json', 'package-lock.json', 'tsconfig.base.json', '.gitignore'])
    await cp(join(repositoryRoot, file), join(dir, file));
  await cp(join(repositoryRoot, 'tools'), join(dir, 'tools'), { recursive: true });
  await mkdir(join(dir, 'pipelines'));
  for (const preset of presets) await cp(join(repositoryRoot, 'pipelines', `${preset}.json`), join(dir, 'pipelines', `${preset}.json`));
  for (const pkg of await readdir(join(repositoryRoot, 'packages'))) {
    for (const entry of ['package.json', 'project.json', 'src', 'csrc', 'binding.gyp']) {
      const from = join(repositoryRoot, 'packages', pkg, entry);
      if (existsSync(from)) await cp(from, join(dir, 'packages', pkg, entry), { recursive: true });
    }
  }
  await symlink(join(repositoryRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await execa('git', ['init', '-q'], { cwd: dir });
  return dir;
}
