import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aloneTaskIds, downstreamOf, pipelineTasks, STAGES, taskNames, workspaceRoot, type PlannedTask } from '../src/index.ts';

const root = workspaceRoot();

function planOf(preset: string): PlannedTask[] {
  return pipelineTasks(preset, JSON.parse(readFileSync(join(root, 'pipelines', `${preset}.json`), 'utf8')));
}

function idOf(entry: keyof typeof STAGES, preset: string): string {
  const { project, target } = taskNames(STAGES[entry], preset);
  return `${project}:${target}`;
}

/** The definition, checked the slow way: every other task runs before it or after it (downstreamOf both ways). */
function aloneByDefinition(tasks: readonly PlannedTask[]): string[] {
  const after = new Map(tasks.map((task) => [task.id, downstreamOf(tasks, [task.id])]));
  return tasks.filter((task) => tasks.every((other) => after.get(task.id)!.has(other.id) || after.get(other.id)!.has(task.id))).map((task) => task.id);
}

describe('tasks that run alone', () => {
  it('quick (a model gold): pretrain, the gold RM, label and fit, and nothing else', () => {
    const tasks = planOf('quick');
    const alone = tasks.filter((task) => task.alone).map((task) => task.id);
    // fit is alone too: every other task is upstream of it (it uses no engine, so its threads change nothing).
    expect(alone).toEqual([idOf('pretrain', 'quick'), idOf('goldRm', 'quick'), idOf('label', 'quick'), idOf('fit', 'quick')]);
    expect(alone).toEqual(aloneByDefinition(tasks));
  });

  it('test (a lexicon gold, no gold RM task): pretrain, label and fit', () => {
    const tasks = planOf('test');
    const alone = tasks.filter((task) => task.alone).map((task) => task.id);
    expect(alone).toEqual([idOf('pretrain', 'test'), idOf('label', 'test'), idOf('fit', 'test')]);
    expect(alone).toEqual(aloneByDefinition(tasks));
  });

  it('does not mark a task that can run beside another: proxy cells, the pool, PPO runs, the summaries', () => {
    for (const preset of ['test', 'quick', 'paper']) {
      const tasks = planOf(preset);
      const cell = tasks.find((task) => task.entry === 'proxyCell')!;
      expect(cell.alone, cell.id).toBe(false);
      for (const entry of ['proxyCell', 'proxySummary', 'bonPool', 'bonScore', 'bonCurves', 'ppoRun', 'ppoSummary']) {
        expect(tasks.filter((task) => task.entry === entry && task.alone).map((task) => task.id)).toEqual([]);
      }
      expect(tasks.filter((task) => task.alone).map((task) => task.id)).toEqual(aloneByDefinition(tasks));
    }
  });

  it('follows the graph: a pool that nothing gathers runs beside the proxy cells, and a one-task chain is all alone', () => {
    // Without best-of-n proxies the pool feeds no curves, so fit no longer runs after it and is not alone.
    const raw = JSON.parse(readFileSync(join(root, 'pipelines', 'test.json'), 'utf8')) as { bon: Record<string, unknown> };
    const tasks = pipelineTasks('test', { ...raw, bon: { ...raw.bon, proxies: [] } });
    expect(tasks.map((task) => task.entry)).not.toContain('bonCurves');
    expect(tasks.filter((task) => task.alone).map((task) => task.id)).toEqual([idOf('pretrain', 'test'), idOf('label', 'test')]);
    expect(
      aloneTaskIds([
        { id: 'a', upstream: [] },
        { id: 'b', upstream: ['a'] },
      ]),
    ).toEqual(new Set(['a', 'b']));
    // A diamond: the two sides run beside each other; the top and the bottom are alone.
    const diamond = [
      { id: 'top', upstream: [] },
      { id: 'left', upstream: ['top'] },
      { id: 'right', upstream: ['top'] },
      { id: 'bottom', upstream: ['left', 'right'] },
    ];
    expect(aloneTaskIds(diamond)).toEqual(new Set(['top', 'bottom']));
  });

  it('refuses tasks listed before what they run after', () => {
    expect(() =>
      aloneTaskIds([
        { id: 'b', upstream: ['a'] },
        { id: 'a', upstream: [] },
      ]),
    ).toThrow('task b runs after a, which is not listed before it');
  });
});
