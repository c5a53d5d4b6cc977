import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStageOutput } from '../src/artifact.ts';
import { makeDirectory } from '../src/make-dir.ts';

/**
 * A read-only file system is named as one. Node's recursive mkdir reports ENOENT for a directory it cannot create
 * there (the known flaw: `npm run pipeline` said ENOENT for a read-only artifacts directory); making the
 * directory and writing a stage's output must say EROFS and name the path (the pipeline's pre-flight check:
 * test/bad-input-faults.test.ts). Needs a read-only tmpfs (root).
 */
let base: string;
let readOnly: string;
let mountProblem: string | undefined;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'core-read-only-'));
  readOnly = path.join(base, 'ro');
  await mkdir(readOnly);
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', readOnly], { reject: false });
  if (mounted.exitCode !== 0) mountProblem = `cannot mount a read-only tmpfs: ${String(mounted.stderr).trim() || 'mount failed'}`;
});

afterAll(async () => {
  if (!mountProblem) await execa('umount', [readOnly], { reject: false });
  await rm(base, { recursive: true, force: true });
});

describe('a read-only file system', () => {
  it('makeDirectory fails with EROFS at the first directory it cannot create, not ENOENT', async (context) => {
    if (mountProblem) return context.skip(mountProblem);
    const error = await makeDirectory(path.join(readOnly, 'artifacts', 'test')).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(error).toBeInstanceOf(Error);
    expect(error?.code).toBe('EROFS');
    expect(error?.path).toBe(path.join(readOnly, 'artifacts'));
  });

  it('a stage’s output names the directory and the read-only file system', async (context) => {
    if (mountProblem) return context.skip(mountProblem);
    const dir = path.join(readOnly, 'artifacts', 'test', 'label');
    const target = { dir, stage: 'label', pipeline: 'test', config: {}, seed: 1, codeVersion: '0123456789abcdef', upstream: [] };
    const error = await writeStageOutput(target, async () => {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(`cannot write the output of stage 'label' to ${dir}: it is not writable: a read-only file system (EROFS`);
    expect(error?.message).not.toContain('ENOENT');
  });

  it('makeDirectory still creates directories on a writable file system', async () => {
    const dir = path.join(base, 'rw', 'a', 'b');
    await makeDirectory(dir);
    await makeDirectory(dir);
    expect(existsSync(dir)).toBe(true);
  });
});
