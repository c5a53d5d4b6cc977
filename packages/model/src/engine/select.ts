import { loadNativeBinding } from '@goodhart/native';
import { nativeEngine } from '../native/native-model.ts';
import { parseBackendChoice, type BackendChoice } from '../tfjs/backend-choice.ts';
import { nativeThreads } from './threads.ts';
import type { Engine, EngineName } from './types.ts';

export { MAX_NATIVE_THREADS, nativeThreads, pipelineThreads } from './threads.ts';

export const engineChoices = ['auto', 'native', 'tfjs'] as const;
export type EngineChoice = (typeof engineChoices)[number];

export function parseEngineChoice(value: string | undefined): EngineChoice {
  const choice = value === undefined || value === '' ? 'auto' : value;
  if ((engineChoices as readonly string[]).includes(choice)) return choice as EngineChoice;
  throw new Error(`unknown engine "${choice}" (from --engine or GOODHART_ENGINE); allowed: ${engineChoices.join(', ')}`);
}

export interface EngineSelection {
  engine: Engine;
  /** Log lines: which engine runs and, when auto fell back, why native did not. */
  lines: string[];
}

/**
 * Builds an engine by name (tests and the benchmark compare both in one process); the native engine runs `threads`
 * threads, by default nativeThreads() from the environment.
 */
export async function createEngine(
  name: EngineName,
  backend: BackendChoice = parseBackendChoice(process.env.GOODHART_BACKEND),
  threads?: number,
): Promise<Engine> {
  if (name === 'native') {
    const loaded = loadNativeBinding();
    if ('error' in loaded) throw new Error(`the native engine is unavailable: ${loaded.error}`);
    const { binding } = loaded;
    binding.setThreads(threads ?? nativeThreads());
    const info = binding.info();
    return nativeEngine(binding, `native — C++ addon, ${info.isa} sgemm, ${info.threads} thread${info.threads === 1 ? '' : 's'} (${info.compiler})`);
  }
  // Loaded on demand: a process on the native engine never loads TensorFlow.js.
  const { backendLine, initBackend } = await import('../tfjs/backend.ts');
  const { tfjsEngine } = await import('../tfjs/tfjs-model.ts');
  const info = await initBackend(backend);
  return tfjsEngine(`tfjs — ${backendLine(info)}`);
}

let active: EngineSelection | undefined;

/**
 * Chooses the process's engine once: `native` when asked for or (auto) when the addon loaded, else `tfjs`. Later
 * calls return the same selection.
 */
export async function initEngine(options: { engine?: EngineChoice; backend?: BackendChoice; threads?: number } = {}): Promise<EngineSelection> {
  if (active) return active;
  const choice = options.engine ?? parseEngineChoice(process.env.GOODHART_ENGINE);
  const backend = options.backend ?? parseBackendChoice(process.env.GOODHART_BACKEND);
  const lines: string[] = [];
  let engine: Engine;
  if (choice === 'auto') {
    // Read before trying the addon: a bad GOODHART_THREADS is the user's error to fix, not a reason to fall back.
    const threads = options.threads ?? nativeThreads();
    try {
      engine = await createEngine('native', backend, threads);
    } catch (error) {
      lines.push(`${(error as Error).message}; using tfjs`);
      engine = await createEngine('tfjs', backend);
    }
  } else {
    engine = await createEngine(choice, backend, options.threads);
  }
  lines.unshift(`engine: ${engine.description}${choice === 'auto' ? ' (auto-selected)' : ''}`);
  active = { engine, lines };
  return active;
}

/** The engine initEngine chose; stages call initEngine first. */
export function activeEngine(): Engine {
  if (!active) throw new Error('no compute engine yet: call initEngine() first');
  return active.engine;
}

/** For stage CLIs: the engine from `--engine`/`--backend` (or GOODHART_ENGINE/GOODHART_BACKEND), logged to stderr. */
export async function initEngineFromFlags(stage: string, flags: { engine?: string; backend?: string }): Promise<Engine> {
  const { engine, lines } = await initEngine({
    engine: parseEngineChoice(flags.engine ?? process.env.GOODHART_ENGINE),
    backend: parseBackendChoice(flags.backend ?? process.env.GOODHART_BACKEND),
  });
  for (const line of lines) process.stderr.write(`[${stage}] ${line}\n`);
  return engine;
}

/** The usage text for the engine flags, shared by the stage CLIs. */
export const ENGINE_FLAGS_USAGE = '[--engine auto|native|tfjs] [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu (tfjs engine)]';

/** What a stage function accepts to choose its engine (both default to the environment, then auto). */
export interface ComputeOptions {
  engine?: EngineChoice;
  backend?: BackendChoice;
}
