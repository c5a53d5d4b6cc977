import { loadPipeline } from '@goodhart/core';
import { loadNativeBinding } from '@goodhart/native';
import { nativeEngine } from '../native/native-model.ts';
import { parseBackendChoice, type BackendChoice } from '../tfjs/backend-choice.ts';
import { parsePrecision, type Precision } from './precision.ts';
import { nativeThreads } from './threads.ts';
import type { Engine, EngineName } from './types.ts';

export { MAX_NATIVE_THREADS, nativeThreads, pipelineThreads } from './threads.ts';
export { parsePrecision, precisionChoices, type Precision } from './precision.ts';

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
 * threads, by default nativeThreads() from the environment. precision 'bf16' runs the native engine's matrix
 * products in bfloat16 where the CPU has AVX512_BF16 and falls back to fp32 elsewhere (engine.precision and the
 * description say which); tfjs always computes in fp32 (the reference).
 */
export async function createEngine(
  name: EngineName,
  backend: BackendChoice = parseBackendChoice(process.env.GOODHART_BACKEND),
  threads?: number,
  precision: Precision = 'fp32',
): Promise<Engine> {
  if (name === 'native') {
    const loaded = loadNativeBinding();
    if ('error' in loaded) throw new Error(`the native engine is unavailable: ${loaded.error}`);
    const { binding } = loaded;
    binding.setThreads(threads ?? nativeThreads());
    const info = binding.info();
    const bf16 = precision === 'bf16' && info.bf16;
    const products =
      precision === 'fp32' ? 'fp32' : bf16 ? `bf16 matrix products (${info.bf16Status}, fp32 accumulation)` : `fp32 (bf16 asked for; ${info.bf16Status})`;
    const description = `native — C++ addon, ${info.isa} sgemm, ${products}, ${info.threads} thread${info.threads === 1 ? '' : 's'} (${info.compiler})`;
    return nativeEngine(binding, description, bf16 ? 'bf16' : 'fp32');
  }
  // Loaded on demand: a process on the native engine never loads TensorFlow.js.
  const { backendLine, initBackend } = await import('../tfjs/backend.ts');
  const { tfjsEngine } = await import('../tfjs/tfjs-model.ts');
  const info = await initBackend(backend);
  return tfjsEngine(`tfjs — ${backendLine(info)}, fp32${precision === 'bf16' ? ' (bf16 asked for; tfjs is the fp32 reference)' : ''}`);
}

let active: EngineSelection | undefined;

/**
 * Chooses the process's engine once: `native` when asked for or (auto) when the addon loaded, else `tfjs`. Later
 * calls return the same selection.
 */
export async function initEngine(
  options: { engine?: EngineChoice; backend?: BackendChoice; threads?: number; precision?: Precision } = {},
): Promise<EngineSelection> {
  if (active) return active;
  const choice = options.engine ?? parseEngineChoice(process.env.GOODHART_ENGINE);
  const backend = options.backend ?? parseBackendChoice(process.env.GOODHART_BACKEND);
  const precision = options.precision ?? parsePrecision(process.env.GOODHART_PRECISION, 'GOODHART_PRECISION') ?? 'fp32';
  const lines: string[] = [];
  let engine: Engine;
  if (choice === 'auto') {
    // Read before trying the addon: a bad GOODHART_THREADS is the user's error to fix, not a reason to fall back.
    const threads = options.threads ?? nativeThreads();
    try {
      engine = await createEngine('native', backend, threads, precision);
    } catch (error) {
      lines.push(`${(error as Error).message}; using tfjs`);
      engine = await createEngine('tfjs', backend, undefined, precision);
    }
  } else {
    engine = await createEngine(choice, backend, options.threads, precision);
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

/**
 * For stage CLIs: the engine from `--engine`/`--backend` (or GOODHART_ENGINE/GOODHART_BACKEND), logged to stderr.
 * The precision comes from `--precision`, else GOODHART_PRECISION, else the preset's compute.precision, else fp32.
 */
export async function initEngineFromFlags(stage: string, flags: { engine?: string; backend?: string; precision?: string; preset?: string }): Promise<Engine> {
  const precision = resolvePrecision(flags.precision, () => (flags.preset === undefined ? undefined : loadPipeline(flags.preset).compute.precision));
  const { engine, lines } = await initEngine({
    engine: parseEngineChoice(flags.engine ?? process.env.GOODHART_ENGINE),
    backend: parseBackendChoice(flags.backend ?? process.env.GOODHART_BACKEND),
    precision,
  });
  for (const line of lines) process.stderr.write(`[${stage}] ${line}\n`);
  return engine;
}

/** The precision asked for: `--precision` (flag), else GOODHART_PRECISION, else the preset's compute.precision. */
export function resolvePrecision(flag: string | undefined, preset: Precision | (() => Precision | undefined) | undefined): Precision | undefined {
  return (
    parsePrecision(flag, '--precision') ??
    parsePrecision(process.env.GOODHART_PRECISION, 'GOODHART_PRECISION') ??
    (typeof preset === 'function' ? preset() : preset)
  );
}

/** The usage text for the engine flags, shared by the stage CLIs. */
export const ENGINE_FLAGS_USAGE =
  '[--engine auto|native|tfjs] [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu (tfjs engine)] [--precision fp32|bf16 (native engine)]';

/** What a stage function accepts to choose its engine (both default to the environment, then auto). */
export interface ComputeOptions {
  engine?: EngineChoice;
  backend?: BackendChoice;
  precision?: Precision;
}
