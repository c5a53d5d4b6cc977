import { availableParallelism } from 'node:os';
import { LONE_TASK_ENV, LONE_THREADS_ENV } from '@goodhart/core';

/** The native addon's own limit on its thread pool. */
export const MAX_NATIVE_THREADS = 256;

function parseThreads(name: string, value: string): number {
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_NATIVE_THREADS)
    throw new Error(`${name}: got ${JSON.stringify(value)}; must be an integer in [1, ${MAX_NATIVE_THREADS}]`);
  return threads;
}

/**
 * Threads for the native engine: GOODHART_LONE_THREADS in a task marked alone (GOODHART_LONE_TASK=1, set by the Nx
 * target of a task nothing can run beside) when it is set, else GOODHART_THREADS, else every core.
 */
export function nativeThreads(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const lone = env[LONE_THREADS_ENV];
  if (env[LONE_TASK_ENV] === '1' && lone !== undefined && lone !== '') return parseThreads(LONE_THREADS_ENV, lone);
  const value = env.GOODHART_THREADS;
  if (value === undefined || value === '') return availableParallelism();
  return parseThreads('GOODHART_THREADS', value);
}

/**
 * The threads `npm run pipeline` gives a native-engine task when Nx runs `parallel` tasks at once: each task its share
 * of the cores, and an alone task (which never has a neighbour) all of them. A user's GOODHART_THREADS is the share
 * of each of the `parallel` tasks, so the pipeline keeps at most `parallel` × that many threads busy, and an alone
 * task takes that whole budget rather than every core of the machine.
 */
export function pipelineThreads(options: { parallel: number; cores?: number; userThreads?: string }): { threads: number; loneThreads: number } {
  const { parallel, cores = availableParallelism(), userThreads } = options;
  if (userThreads !== undefined && userThreads !== '') {
    const threads = parseThreads('GOODHART_THREADS', userThreads);
    return { threads, loneThreads: Math.min(MAX_NATIVE_THREADS, threads * parallel) };
  }
  return { threads: Math.max(1, Math.floor(cores / parallel)), loneThreads: Math.min(MAX_NATIVE_THREADS, cores) };
}
