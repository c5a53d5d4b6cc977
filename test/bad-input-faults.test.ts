import { cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, workspaceRoot } from '@goodhart/core';
import { tempWorkspace, testPreset } from './support/workspace.ts';

/**
 * The faults of issue 25's bad-input pass, each run for real on the `test` preset in a throwaway workspace: a copied
 * or stale upstream artifact, a bad thread count or engine, a full or read-only artifacts directory, and pipeline
 * files with duplicate keys, a huge description or a name that is not a preset name. Every refusal must be one clear
 * message (no stack trace) naming what is wrong.
 */
const root = workspaceRoot();
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const PRESET = 'flt';
const CELL = 'tiny-n20-s0';
const OTHER_CELL = 'tiny-n60-s0';
let ws: string;

interface Run {
  exitCode: number | undefined;
  stderr: string;
}

async function stage(name: string, args: string[], env: Record<string, string> = {}, preset = PRESET): Promise<Run> {
  const result = await execa('node', ['--import', 'tsx', `packages/${name}/src/cli.ts`, '--preset', preset, ...args], {
    cwd: ws,
    reject: false,
    env: { GOODHART_THREADS: '1', GOODHART_BACKEND: 'wasm', ...env },
  });
  return { exitCode: result.exitCode, stderr: String(result.stderr) };
}

function expectClear(run: Run, ...mentions: string[]): void {
  expect(run.exitCode, run.stderr).toBe(1);
  expect(run.stderr).not.toMatch(STACK);
  for (const text of mentions) expect(run.stderr).toContain(text);
}

beforeAll(async () => {
  ws = await tempWorkspace([await testPreset(PRESET, (c) => ((c.bon as Record<string, unknown>).proxies = [CELL, OTHER_CELL]))]);
  for (const args of [[], ['--cell', CELL], ['--cell', OTHER_CELL], ['--pool']].map((a, i) => [['pretrain', 'proxy', 'proxy', 'bon'][i], a] as const)) {
    if (args[0] === 'proxy' && args[1][1] === CELL) {
      const label = await stage('label', []);
      expect(label.exitCode, label.stderr).toBe(0);
    }
    const run = await stage(args[0], [...args[1]]);
    expect(run.exitCode, run.stderr).toBe(0);
  }
}, 600_000);

afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

describe('fault 1: an upstream artifact made for another cell, preset or config is refused, naming both', () => {
  const cells = (preset: string): string => join(ws, 'artifacts', preset, 'proxy', 'cells');

  it('a cell copied over another cell', async () => {
    const saved = join(ws, 'saved-cell');
    await cp(join(cells(PRESET), OTHER_CELL), saved, { recursive: true });
    await rm(join(cells(PRESET), OTHER_CELL), { recursive: true });
    await cp(join(cells(PRESET), CELL), join(cells(PRESET), OTHER_CELL), { recursive: true });
    try {
      expectClear(await stage('bon', ['--score', OTHER_CELL]), `"${CELL}"`, `"${OTHER_CELL}"`, 'manifest.json');
    } finally {
      await rm(join(cells(PRESET), OTHER_CELL), { recursive: true });
      await cp(saved, join(cells(PRESET), OTHER_CELL), { recursive: true });
    }
  });

  it("another preset's outputs copied in", async () => {
    const config = JSON.parse(await readFile(join(ws, 'pipelines', `${PRESET}.json`), 'utf8')) as Record<string, unknown>;
    await writeFile(join(ws, 'pipelines', 'copy.json'), JSON.stringify({ ...config, name: 'copy' }));
    await cp(join(ws, 'artifacts', PRESET), join(ws, 'artifacts', 'copy'), { recursive: true });
    expectClear(await stage('bon', ['--score', CELL], {}, 'copy'), `"${PRESET}"`, '"copy"');
  });

  it('an output made before the config it was read with changed', async () => {
    const file = join(ws, 'pipelines', `${PRESET}.json`);
    const before = await readFile(file, 'utf8');
    const config = JSON.parse(before) as { proxy: { training: { epochs: number } } };
    config.proxy.training.epochs += 1;
    await writeFile(file, JSON.stringify(config));
    try {
      expectClear(
        await stage('bon', ['--score', CELL]),
        'proxy.training',
        `"epochs":${config.proxy.training.epochs - 1}`,
        `"epochs":${config.proxy.training.epochs}`,
      );
    } finally {
      await writeFile(file, before);
    }
  });

  it('the cell itself still scores', async () => {
    const run = await stage('bon', ['--score', CELL]);
    expect(run.exitCode, run.stderr).toBe(0);
  });
});

describe('fault 2: a bad thread count or engine is a clear error, never a fallback', () => {
  it('a stage refuses GOODHART_THREADS 0, -1 and 1e9 and leaves its output as it was', async () => {
    const manifest = join(ws, 'artifacts', PRESET, 'proxy', 'cells', CELL, 'manifest.json');
    const before = await readFile(manifest, 'utf8');
    for (const threads of ['0', '-1', '1e9'])
      expectClear(await stage('proxy', ['--cell', CELL], { GOODHART_THREADS: threads }), 'GOODHART_THREADS', `"${threads}"`);
    expect(await readFile(manifest, 'utf8')).toBe(before);
  });

  it('npm run pipeline refuses them, and --engine bogus, before Nx starts', async () => {
    const pipeline = (args: string[], env: Record<string, string> = {}) =>
      execa('node', ['--import', 'tsx', join(root, 'scripts', 'pipeline.ts'), '--preset', PRESET, ...args], { cwd: ws, reject: false, env });
    for (const [args, env, mention] of [
      [['--engine', 'bogus'], {}, 'bogus'],
      [[], { GOODHART_ENGINE: 'bogus' }, 'bogus'],
      [[], { GOODHART_THREADS: '0' }, 'GOODHART_THREADS'],
      [['--parallel', 'two'], {}, '--parallel'],
      [['--no-such-flag'], {}, '--no-such-flag'],
    ] as const) {
      const run = await pipeline([...args], env);
      expectClear({ exitCode: run.exitCode, stderr: String(run.stderr) }, mention);
    }
  });
});

/** A tmpfs of `size` (read-only when asked), or why there is none (mounting needs root). */
async function mountTmpfs(dir: string, size: string, readOnly: boolean): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { reject: false });
  return mounted.exitCode === 0 ? undefined : `cannot mount a tmpfs: ${String(mounted.stderr).trim()}`;
}

describe('fault 5: a full or read-only artifacts directory is named', () => {
  const mounts: string[] = [];
  afterAll(async () => {
    for (const dir of mounts) await execa('umount', [dir], { reject: false });
  });

  it('disk full: the stage names the output it could not write, and keeps nothing half-written', async (context) => {
    const disk = join(ws, 'tiny-disk');
    const problem = await mountTmpfs(disk, '4k', false);
    if (problem) return context.skip(problem);
    mounts.push(disk);
    // The best-of-n outputs go to a disk of one page; the pool is far larger.
    const bon = join(ws, 'artifacts', PRESET, 'bon');
    await rename(bon, `${bon}-saved`);
    await symlink(disk, bon);
    try {
      expectClear(await stage('bon', ['--pool']), 'disk is full', join(bon, 'pool'));
      expect(await readdir(disk)).toEqual([]);
    } finally {
      await rm(bon);
      await rename(`${bon}-saved`, bon);
    }
  });

  it('read-only: npm run pipeline names the directory before Nx starts', async (context) => {
    const dir = join(ws, 'read-only');
    const problem = await mountTmpfs(dir, '1m', true);
    if (problem) return context.skip(problem);
    mounts.push(dir);
    const readOnly = await tempWorkspaceLinkedTo(dir);
    const run = await execa('node', ['--import', 'tsx', join(root, 'scripts', 'pipeline.ts'), '--preset', PRESET], { cwd: readOnly, reject: false });
    // Node's recursive mkdir says ENOENT on a read-only file system; the message names the real cause.
    expectClear({ exitCode: run.exitCode, stderr: String(run.stderr) }, join(readOnly, 'artifacts', PRESET), 'not writable: a read-only file system (EROFS');
    expect(String(run.stderr)).not.toContain('ENOENT');
  });

  /** A workspace of the preset whose artifacts directory is a link to `dir`. */
  async function tempWorkspaceLinkedTo(dir: string): Promise<string> {
    const other = await tempWorkspace([loadPipeline(PRESET, ws)]);
    await symlink(dir, join(other, 'artifacts'));
    return other;
  }
});

describe('fault 6: pipeline files that are refused', () => {
  it('a field given twice is refused naming it, by the stages and by the Nx plugin', async () => {
    const text = (await readFile(join(ws, 'pipelines', `${PRESET}.json`), 'utf8')).replace('{', '{\n  "seed": 5,');
    await writeFile(join(ws, 'pipelines', 'twice.json'), text.replace(`"name": "${PRESET}"`, '"name": "twice"'));
    expectClear(await stage('pretrain', [], {}, 'twice'), 'field "seed"', 'twice');
    const warnings = await pluginWarnings(ws, ['pipelines/twice.json']);
    expect(warnings.projects).toEqual([]);
    expect(warnings.stderr).toContain('field "seed" is given twice');
  });

  it('a 50 MB description is refused at load', async () => {
    const config = JSON.parse(await readFile(join(ws, 'pipelines', `${PRESET}.json`), 'utf8')) as Record<string, unknown>;
    await writeFile(join(ws, 'pipelines', 'long.json'), JSON.stringify({ ...config, name: 'long', description: 'x'.repeat(50_000_000) }));
    const run = await stage('pretrain', [], {}, 'long');
    expectClear(run, 'description');
    expect(Math.max(...run.stderr.split('\n').map((line) => line.length))).toBeLessThan(2000);
  });

  it('the plugin refuses, with a warning, files whose name is not a preset name or differs from their "name"', async () => {
    const config = JSON.parse(await readFile(join(ws, 'pipelines', `${PRESET}.json`), 'utf8')) as Record<string, unknown>;
    for (const name of ['Upper', 'trailing-', 'two--dashes', 'dot.ted', 'mismatch']) {
      await writeFile(join(ws, 'pipelines', `${name}.json`), JSON.stringify({ ...config, name: name === 'mismatch' ? PRESET : name }));
      const { projects, stderr } = await pluginWarnings(ws, [`pipelines/${name}.json`]);
      expect(projects, name).toEqual([]);
      expect(stderr, name).toContain(`skipping pipelines/${name}.json`);
    }
    expect((await pluginWarnings(ws, [`pipelines/${PRESET}.json`])).projects.length).toBeGreaterThan(10);
  });
});

/** The projects the Nx plugin makes of pipeline files, and the warnings it prints (run outside Nx, see support/plugin-nodes.ts). */
async function pluginWarnings(dir: string, files: string[]): Promise<{ projects: string[]; stderr: string }> {
  const run = await execa('node', ['--import', 'tsx', join(root, 'test', 'support', 'plugin-nodes.ts'), dir, ...files], { cwd: root });
  return { projects: JSON.parse(String(run.stdout)) as string[], stderr: String(run.stderr) };
}
