import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from './binding.ts';

export type { HeadsAt, NativeBinding, NativeInfo, NativeShape } from './binding.ts';

export type NativeLoadResult = { binding: NativeBinding; path: string } | { error: string };

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where `npm install` / `npm rebuild @goodhart/native` puts the addon. */
export const nativeAddonPath = join(packageDir, 'build', 'Release', 'goodhart_native.node');
const failedPath = join(packageDir, 'build', 'BUILD_FAILED.txt');

const FUNCTIONS = [
  'info',
  'setThreads',
  'parameterCount',
  'activationSize',
  'cacheSize',
  'forward',
  'backward',
  'prefill',
  'decode',
  'scoreResponses',
  'gradNorm',
  'firstNonFinite',
  'adamw',
  'sgemm',
  'bf16PackWords',
  'bf16Pack',
  'bf16Pairs',
  'bgemm',
  'draw',
] as const;

let cached: NativeLoadResult | undefined;

/**
 * Loads the C++ engine once (the result, success or the reason for failure, is cached). Never throws: callers fall
 * back to TensorFlow.js when it returns { error }. GOODHART_NATIVE_DISABLE=1 turns the engine off.
 */
export function loadNativeBinding(): NativeLoadResult {
  if (cached) return cached;
  cached = load();
  return cached;
}

function load(): NativeLoadResult {
  if (process.env.GOODHART_NATIVE_DISABLE === '1') return { error: 'disabled by GOODHART_NATIVE_DISABLE' };
  if (!existsSync(nativeAddonPath)) {
    if (existsSync(failedPath)) {
      let reason = '';
      try {
        reason = readFileSync(failedPath, 'utf8').trim();
      } catch (error) {
        reason = `(could not read ${failedPath}: ${String(error)})`;
      }
      return { error: `the native build failed or was skipped (${failedPath}):\n${reason}` };
    }
    return { error: 'not built: run `npm rebuild @goodhart/native`' };
  }
  try {
    const require = createRequire(import.meta.url);
    const binding = require(nativeAddonPath) as NativeBinding;
    const missing = FUNCTIONS.filter((name) => typeof (binding as unknown as Record<string, unknown>)[name] !== 'function');
    if (missing.length > 0) return { error: `${nativeAddonPath} lacks ${missing.join(', ')} (stale build: run \`npm rebuild @goodhart/native\`)` };
    return { binding, path: nativeAddonPath };
  } catch (error) {
    return { error: `could not load ${nativeAddonPath}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
