/**
 * Which tasks of a pipeline run alone. A task is alone when every other task is either one it runs after (directly
 * or not) or one that runs after it: then no scheduler can ever run anything beside it, so whatever cores the
 * pipeline was given to share between `--parallel` tasks are all its own (pretrain, the gold RM and label of a preset
 * with a model gold; fit at the end). Derived from the upstream edges alone, so a new stage needs nothing here.
 */

/** Set on an alone task's Nx target (run-commands `env` option): its native engine takes the lone-task threads. */
export const LONE_TASK_ENV = 'GOODHART_LONE_TASK';
/** Threads for an alone task's native engine; `npm run pipeline` sets it beside GOODHART_THREADS (each task's share). */
export const LONE_THREADS_ENV = 'GOODHART_LONE_THREADS';

export interface GraphTask {
  id: string;
  /** Ids of the tasks this one runs after; each listed before this task. */
  upstream: readonly string[];
}

/** Ids of the alone tasks, from tasks listed upstream first (as the plan lists them). */
export function aloneTaskIds(tasks: readonly GraphTask[]): Set<string> {
  const ancestors = new Map<string, Set<string>>();
  for (const task of tasks) {
    if (ancestors.has(task.id)) throw new Error(`task ${task.id} is listed twice`);
    const own = new Set<string>();
    for (const id of task.upstream) {
      const above = ancestors.get(id);
      if (!above) throw new Error(`task ${task.id} runs after ${id}, which is not listed before it`);
      own.add(id);
      for (const ancestor of above) own.add(ancestor);
    }
    ancestors.set(task.id, own);
  }
  const descendants = new Map<string, number>(tasks.map((task) => [task.id, 0]));
  for (const own of ancestors.values()) for (const ancestor of own) descendants.set(ancestor, (descendants.get(ancestor) ?? 0) + 1);
  // Ancestors and descendants are disjoint in an acyclic graph, so their sizes add up to the tasks T is ordered with.
  return new Set(tasks.filter((task) => ancestors.get(task.id)!.size + descendants.get(task.id)! === tasks.length - 1).map((task) => task.id));
}
