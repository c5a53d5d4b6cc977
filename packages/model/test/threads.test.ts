/**
 * How many threads the native engine takes: each pipeline task its share, a task marked alone (the Nx target's
 * GOODHART_LONE_TASK=1) the lone-task value, and the engine line a stage logs says which.
 */
import { availableParallelism } from 'node:os';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { LONE_TASK_ENV, LONE_THREADS_ENV, workspaceRoot } from '@goodhart/core';
import { MAX_NATIVE_THREADS, nativeThreads, pipelineThreads } from '../src/index.ts';
import { describeNative } from './engines/helpers.ts';

describe('nativeThreads', () => {
  it('takes the lone-task value only in a task carrying the marker', () => {
    const pipeline = { GOODHART_THREADS: '1', [LONE_THREADS_ENV]: '2' };
    expect(nativeThreads(pipeline)).toBe(1);
    expect(nativeThreads({ ...pipeline, [LONE_TASK_ENV]: '1' })).toBe(2);
    expect(nativeThreads({ ...pipeline, [LONE_TASK_ENV]: '0' })).toBe(1);
  });

  it('falls back to GOODHART_THREADS in a marked task without a lone value (a Slurm job, a task run by hand), else every core', () => {
    expect(nativeThreads({ [LONE_TASK_ENV]: '1', GOODHART_THREADS: '3' })).toBe(3);
    expect(nativeThreads({ [LONE_TASK_ENV]: '1', [LONE_THREADS_ENV]: '', GOODHART_THREADS: '3' })).toBe(3);
    expect(nativeThreads({ [LONE_TASK_ENV]: '1' })).toBe(availableParallelism());
    expect(nativeThreads({})).toBe(availableParallelism());
  });

  it('names the variable a bad value came from', () => {
    expect(() => nativeThreads({ GOODHART_THREADS: 'two' })).toThrow('GOODHART_THREADS: got "two"; must be an integer in [1, 256]');
    expect(() => nativeThreads({ [LONE_TASK_ENV]: '1', [LONE_THREADS_ENV]: '0', GOODHART_THREADS: '1' })).toThrow(
      'GOODHART_LONE_THREADS: got "0"; must be an integer in [1, 256]',
    );
  });
});

describe('pipelineThreads', () => {
  it('gives each of the parallel tasks its share of the cores and an alone task every core', () => {
    expect(pipelineThreads({ parallel: 2, cores: 2 })).toEqual({ threads: 1, loneThreads: 2 });
    expect(pipelineThreads({ parallel: 3, cores: 8 })).toEqual({ threads: 2, loneThreads: 8 });
    expect(pipelineThreads({ parallel: 4, cores: 2 })).toEqual({ threads: 1, loneThreads: 2 });
    expect(pipelineThreads({ parallel: 1, cores: 2 })).toEqual({ threads: 2, loneThreads: 2 });
  });

  it("reads a user's GOODHART_THREADS as each task's share, so an alone task takes parallel times it", () => {
    expect(pipelineThreads({ parallel: 2, cores: 2, userThreads: '1' })).toEqual({ threads: 1, loneThreads: 2 });
    expect(pipelineThreads({ parallel: 2, cores: 64, userThreads: '4' })).toEqual({ threads: 4, loneThreads: 8 });
    expect(pipelineThreads({ parallel: 8, cores: 2, userThreads: '200' })).toEqual({ threads: 200, loneThreads: MAX_NATIVE_THREADS });
    expect(() => pipelineThreads({ parallel: 2, userThreads: '1.5' })).toThrow('GOODHART_THREADS: got "1.5"');
  });
});

describeNative('the engine line of a stage', () => {
  const engineLine = async (env: Record<string, string>): Promise<string> => {
    const script = "import { initEngineFromFlags } from '@goodhart/model'; await initEngineFromFlags('t', { engine: 'native' });";
    const { stderr } = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: workspaceRoot(),
      env: { GOODHART_NATIVE_DISABLE: '', [LONE_TASK_ENV]: '', ...env },
    });
    return stderr;
  };

  it('says the lone-task thread count in a marked task and the share elsewhere', async () => {
    const pipeline = { GOODHART_THREADS: '1', [LONE_THREADS_ENV]: '2' };
    expect(await engineLine({ ...pipeline, [LONE_TASK_ENV]: '1' })).toMatch(/native — .*, 2 threads \(/);
    expect(await engineLine(pipeline)).toMatch(/native — .*, 1 thread \(/);
  });
});
