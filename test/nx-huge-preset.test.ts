import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GRID_CELLS, workspaceRoot } from '@goodhart/core';
import { copyRepository } from './support/workspace.ts';

/**
 * The Nx plugin plans every preset in pipelines/, so one preset with thousands of grid cells used to make every Nx
 * command of every preset take minutes. The plan now refuses a grid over the limit before enumerating it, and the
 * plugin skips that preset with a warning naming it: the other presets' projects are all there.
 */
const root = workspaceRoot();
const NX = join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
let dir: string;

beforeAll(async () => {
  dir = await copyRepository(['test']);
  const test = JSON.parse(await readFile(join(dir, 'pipelines', 'test.json'), 'utf8')) as {
    name: string;
    proxy: { grid: { sizes: string[]; comparisons: number[]; seeds: number[] } };
  };
  test.name = 'huge';
  test.proxy.grid.comparisons = Array.from({ length: 3000 }, (_, i) => i + 1);
  test.proxy.grid.seeds = [0, 1];
  await writeFile(join(dir, 'pipelines', 'huge.json'), JSON.stringify(test, null, 2));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Nx with a preset over the grid limit present', () => {
  it('skips that preset, naming it and the limit, and still builds every other preset', async () => {
    const result = await execa('node', [NX, 'show', 'projects', '--json'], { cwd: dir, env: NX_ENV, all: true });
    const projects = JSON.parse(result.stdout) as string[];
    expect(projects).toContain('proxy--test--tiny-n20-s0');
    expect(projects.some((name) => name.includes('--huge--'))).toBe(false);
    expect(result.all).toContain(`skipping pipelines/huge.json: "proxy.grid" has ${2 * 3000 * 2} cells; at most ${MAX_GRID_CELLS} are allowed`);
  }, 120_000);
});
