import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { ChildProcess } from 'node:child_process';

/** The signals that stop a run: Ctrl-C, `kill`, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
/** How long Nx and its tasks get to stop after the signal before they are killed. */
const GRACE_MS = 5000;

/** Parent of every live process, from /proc (Linux); empty where there is no /proc. */
function parents(): Map<number, number> {
  const result = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return result;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      result.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  return result;
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), child]);
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) tree.push(...(byParent.get(tree[i]) ?? []));
  return tree;
}

/** Whether a process runs (a zombie, exited but not yet reaped, does not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Makes a stop signal to this process stop the whole run: the child it runs (Nx, spawned in a process group of its
 * own so only this process signals it) and every process below it, Nx's tasks included even when they sit in
 * sessions of their own. The signal goes to each of them; whatever still runs after a grace period is killed; then
 * this process exits with 128 + the signal's number. Nx caches no task that did not finish, and the stages write to a
 * temporary directory renamed into place, so nothing half-written is left to be trusted.
 */
export class StopOnSignal {
  private child: ChildProcess | undefined;
  private signal: StopSignal | undefined;
  private readonly handlers = new Map(STOP_SIGNALS.map((signal) => [signal, () => this.stop(signal)]));

  constructor(private readonly log: (line: string) => void) {}

  /** Whether a stop signal arrived (the caller then leaves the exit to this object). */
  get stopping(): boolean {
    return this.signal !== undefined;
  }

  /**
   * The child to stop on a signal, until it exits. The handlers are installed only meanwhile, so that between
   * children a signal has its default effect, or that of another handler (the Slurm runner cancels its jobs).
   */
  watch<T extends ChildProcess>(child: T): T {
    this.child = child;
    for (const [signal, handler] of this.handlers) process.off(signal, handler).on(signal, handler);
    child.once('exit', () => {
      if (this.child !== child || this.signal) return; // stopping: the handlers stay, so a second signal waits too
      this.child = undefined;
      for (const [signal, handler] of this.handlers) process.off(signal, handler);
    });
    return child;
  }

  private stop(signal: StopSignal): void {
    if (this.signal) return; // a second signal while stopping: the grace period already runs
    this.signal = signal;
    const code = 128 + constants.signals[signal];
    const child = this.child;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) process.exit(code);
    this.log(`pipeline: ${signal}: stopping Nx and its tasks`);
    // Snapshot the tree first: a task whose parent exits is re-parented and no longer found below Nx.
    const tree = new Set(processTree(child.pid));
    // The group as well, for systems without /proc (the child leads a process group of its own).
    const group = -child.pid;
    signalAll([group, ...tree], signal);
    const timer = setTimeout(() => {
      for (const pid of processTree(child.pid ?? 0)) tree.add(pid);
      signalAll([group, ...tree], 'SIGKILL');
    }, GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      // Tasks that outlived Nx (re-parented): the same signal, then the kill after the grace period.
      const left = [...tree].filter((pid) => parents().has(pid));
      signalAll(left, signal);
      setTimeout(
        () => {
          signalAll(
            [...tree].filter((pid) => parents().has(pid)),
            'SIGKILL',
          );
          process.exit(code);
        },
        left.length > 0 ? GRACE_MS : 0,
      );
    });
  }
}
