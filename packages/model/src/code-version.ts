import { join } from 'node:path';
import { codeVersion } from '@goodhart/core';
import { activeEngine } from './engine/select.ts';

/**
 * The code version of a stage that runs models: its packages' sources, the native addon's sources when the native
 * engine runs, and the engine's name, so switching engines reruns the stage (the engines agree only to the last
 * bits); and `+bf16` when its matrix products run in bfloat16, so switching precision reruns it too (fp32 versions
 * are unchanged). Every manifest records it.
 */
export function engineCodeVersion(root: string, packages: readonly string[]): string {
  const engine = activeEngine();
  const dirs = packages.map((name) => join(root, 'packages', name, 'src'));
  if (engine.name === 'native') dirs.push(join(root, 'packages', 'native', 'src'), join(root, 'packages', 'native', 'csrc'));
  return `${codeVersion(dirs)}+${engine.name}${engine.precision === 'bf16' ? '+bf16' : ''}`;
}
