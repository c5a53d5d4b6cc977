import { rm, symlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@goodhart/core';
import { isRunning as alive, processTree } from '../scripts/stop-on-signal.ts';
import { copyRepository } from './support/workspace.ts';

/**
 * A signal to `npm run pipeline` or to the pipeline's own Node process stops the whole run: Nx and every task below
 * it are gone within seconds, the exit code is nonzero, and no stack trace is printed (before: SIGTERM to npm
 * returned at once while the run went on detached, SIGINT to npm waited for the end of the run, and SIGTERM to the
 * pipeline's process crashed Nx with an unhandled `write EPIPE`).
 */
const root = workspaceRoot();
let workspace: string;

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Starts the run, waits until Nx starts a task, sends `signal`, and reports what was left. */
async function stopRun(command: string, args: string[], signal: NodeJS.Signals) {
  const run: ResultPromise = execa(command, args, {
    cwd: workspace,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', GOODHART_BACKEND: 'wasm' },
    all: true,
    reject: false,
    buffer: true,
  });
  let output = '';
  run.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const pid = run.pid ?? 0;
  expect(await waitFor(() => /\[pipeline\] task 1\//.test(output), 120_000)).toBe(true);
  // The task is under way: its process sits below Nx.
  expect(await waitFor(() => processTree(pid).length >= 4, 20_000)).toBe(true);
  const tree = processTree(pid);
  const sent = Date.now();
  process.kill(pid, signal);
  const result = await run;
  const gone = await waitFor(() => tree.every((p) => !alive(p)), 3_000);
  return { result, seconds: (Date.now() - sent) / 1000, left: tree.filter(alive), gone, output: typeof result.all === 'string' ? result.all : output };
}

beforeAll(async () => {
  workspace = await copyRepository(['test']);
  await symlink(join(root, 'scripts'), join(workspace, 'scripts'), 'dir');
});

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

describe('signals stop the whole pipeline run', () => {
  const pipeline = ['--preset', 'test', '--skip-cache'];
  const cases: [string, string, string[], NodeJS.Signals][] = [
    ["SIGTERM to the pipeline's process", 'node', ['--import', 'tsx', join(root, 'scripts', 'pipeline.ts'), ...pipeline], 'SIGTERM'],
    ['SIGTERM to npm run pipeline', 'npm', ['run', '--silent', 'pipeline', '--', ...pipeline], 'SIGTERM'],
    ['SIGINT to npm run pipeline', 'npm', ['run', '--silent', 'pipeline', '--', ...pipeline], 'SIGINT'],
  ];
  it.each(cases)('%s', async (_name, command, args, signal) => {
    const stopped = await stopRun(command, args, signal);
    expect(stopped.left, stopped.output).toEqual([]);
    expect(stopped.gone).toBe(true);
    expect(stopped.seconds).toBeLessThan(15);
    // The pipeline's process exits with 128 + the signal's number; npm passes on a nonzero code.
    if (command === 'node') expect(stopped.result.exitCode).toBe(128 + constants.signals[signal]);
    else expect(stopped.result.exitCode ?? 128).toBeGreaterThan(0);
    expect(stopped.output).not.toMatch(/EPIPE|\n\s+at /);
    expect(stopped.output).not.toContain('pipeline "test" finished');
  });
});
