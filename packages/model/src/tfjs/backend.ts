import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import type { BackendChoice } from './backend-choice.ts';
import { parseBackendChoice } from './backend-choice.ts';

export interface BackendInfo {
  /** What was asked for (flag, GOODHART_BACKEND, or auto). */
  requested: BackendChoice;
  /** The tfjs backend name now active ('tensorflow', 'wasm', 'cpu'). */
  active: string;
  /** Human-readable: package and version, SIMD/threads for wasm. */
  description: string;
}

let current: BackendInfo | undefined;

/** Selects and initialises the backend once per process; later calls return the same choice. */
export async function initBackend(requested: BackendChoice = parseBackendChoice(process.env.GOODHART_BACKEND)): Promise<BackendInfo> {
  if (current) return current;
  const attempts: BackendChoice[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm'] : [requested];
  const failures: string[] = [];
  for (const choice of attempts) {
    try {
      current = await activate(choice, requested);
      return current;
    } catch (error) {
      failures.push(`${choice}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n  ${failures.join('\n  ')}`);
}

async function activate(choice: BackendChoice, requested: BackendChoice): Promise<BackendInfo> {
  switch (choice) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = choice === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      await import(/* optional, user-installed */ pkg);
      await setBackend('tensorflow');
      return { requested, active: 'tensorflow', description: `${pkg} ${packageVersion(pkg)}` };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      await setBackend('wasm');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
      return {
        requested,
        active: 'wasm',
        description: `@tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`,
      };
    }
    case 'cpu':
      await setBackend('cpu');
      return { requested, active: 'cpu', description: `@tensorflow/tfjs cpu (pure JS, slow) ${tf.version.tfjs}` };
    case 'auto':
      throw new Error('auto is resolved by initBackend');
  }
}

async function setBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

function packageVersion(pkg: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return '(version unknown)';
  }
}

/** For logs: one line saying which backend runs. */
export function backendLine(info: BackendInfo): string {
  return `backend: ${info.active} — ${info.description}${info.requested === 'auto' ? ' (auto-selected)' : ''}`;
}
