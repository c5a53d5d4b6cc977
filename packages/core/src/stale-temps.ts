import { randomBytes } from 'node:crypto';
import { type Dirent, existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Temporary directories beside a stage's output: `<name>.tmp-<pid>-<hex>[suffix]`. In-flight writes, old outputs set
 * aside during a swap, and pretrain's scratch space all use this form, so one rule clears what a killed process left:
 * an entry whose pid is no longer running.
 */
const TEMP_MARKER = '.tmp-';

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** A fresh temp sibling path of `absDir` owned by this process (not created). */
export function tempSibling(absDir: string, suffix = ''): string {
  return `${absDir}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}${suffix}`;
}

/** Creates a temp sibling of `dir` (e.g. scratch space beside a stage's output) and returns its path. */
export async function makeTempSibling(dir: string, suffix = ''): Promise<string> {
  const absDir = path.resolve(dir);
  await mkdir(path.dirname(absDir), { recursive: true });
  const made = tempSibling(absDir, suffix);
  await mkdir(made);
  return made;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(err) === 'EPERM';
  }
}

/** The pid that made a temp entry named `name`, or undefined if the name is not a temp entry. */
function ownerPid(name: string): number | undefined {
  const at = name.lastIndexOf(TEMP_MARKER);
  if (at <= 0) return undefined;
  const pid = Number(/^(\d+)-[0-9a-f]+/.exec(name.slice(at + TEMP_MARKER.length))?.[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAbandoned(name: string): boolean {
  const pid = ownerPid(name);
  // This process's own entries and those of live processes may be writes in progress.
  return pid !== undefined && pid !== process.pid && !isAlive(pid);
}

/**
 * Removes `<dir>.tmp-<pid>-*` siblings left by processes that died mid-write. Entries of live
 * processes (including this one) are left alone, since they may be writes in progress.
 * Returns the removed paths.
 */
export async function removeStaleTempDirs(dir: string): Promise<string[]> {
  const absDir = path.resolve(dir);
  const parent = path.dirname(absDir);
  const prefix = `${path.basename(absDir)}${TEMP_MARKER}`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !isAbandoned(name)) continue;
    const stale = path.join(parent, name);
    await rm(stale, { recursive: true, force: true });
    removed.push(stale);
  }
  return removed;
}

/**
 * Removes every abandoned temp entry anywhere under `artifactsRoot` (all presets, all stages), so a kill in one
 * stage is cleaned up by the next start of any stage, not only by a rerun of the same one. Complete outputs (dirs
 * holding a manifest.json) are not descended into: temp entries are only ever siblings of outputs.
 */
export async function removeAbandonedTempDirs(artifactsRoot: string, manifestFile = 'manifest.json'): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (ownerPid(entry.name) !== undefined) {
        if (isAbandoned(entry.name)) {
          await rm(full, { recursive: true, force: true });
          removed.push(full);
        }
      } else if (entry.isDirectory() && !existsSync(path.join(full, manifestFile))) {
        await walk(full);
      }
    }
  };
  await walk(path.resolve(artifactsRoot));
  return removed;
}
