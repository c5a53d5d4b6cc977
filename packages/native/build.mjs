// Install script of @goodhart/native: builds the addon with npm's bundled node-gyp. It never fails the install:
// when the build is skipped or fails, it writes build/BUILD_FAILED.txt (the reason) and the project falls back to
// the TensorFlow.js engine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const failedFile = join(buildDir, 'BUILD_FAILED.txt');

function giveUp(reason) {
  try {
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(failedFile, `${reason.trim()}\n`);
  } catch {
    // Nothing more we can do; loadNativeBinding() will report "not built".
  }
  console.log(`@goodhart/native: native engine unavailable (${reason.split('\n')[0].slice(0, 160)}); TensorFlow.js will be used.`);
  process.exit(0);
}

try {
  if (process.env.GOODHART_SKIP_NATIVE_BUILD === '1') giveUp('build skipped: GOODHART_SKIP_NATIVE_BUILD=1');
  rmSync(failedFile, { force: true });
  // Inside an npm script npm_config_node_gyp points at npm's bundled node-gyp (and npm puts a `node-gyp` shim on
  // PATH). Run directly (`node build.mjs`), look for npm's bundled copy next to npm. Never `npx node-gyp`: that
  // would download one.
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter((path) => path && existsSync(path));
  const gypArgs = ['rebuild'];
  // Use the headers installed with this Node (no download) unless npm already says where they are (nodedir).
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) gypArgs.push(`--nodedir=${prefix}`);
  const [command, args] = candidates.length > 0 ? [process.execPath, [candidates[0], ...gypArgs]] : ['node-gyp', gypArgs];
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: here,
    encoding: 'utf8',
    env: { ...process.env, JOBS: process.env.JOBS ?? 'max' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60 * 1000,
  });
  if (result.error) giveUp(`could not run node-gyp (${command}): ${result.error.message}`);
  if (result.status !== 0) {
    const lines = `${result.stderr ?? ''}`.split('\n').filter((line) => line.trim() !== '');
    const errors = lines.filter((line) => /error|not found|No such file/i.test(line) && !line.startsWith('gyp ERR!')).slice(0, 12);
    const tail = [...errors, ...(errors.length > 0 ? ['...'] : []), ...lines.slice(-12)].join('\n');
    giveUp(`node-gyp rebuild failed with exit code ${result.status ?? result.signal}:\n${tail}`);
  }
  console.log(`@goodhart/native: built the native engine in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  giveUp(`build script error: ${error instanceof Error ? error.message : String(error)}`);
}
