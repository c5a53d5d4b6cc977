import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
