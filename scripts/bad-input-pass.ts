/**
 * `node --import tsx scripts/bad-input-pass.ts [--checkout DIR] [--families configs,kills,...] [--out FILE] [--timeout SECONDS]`
 *
 * A bad-input pass over the `test` preset, rerunnable against any checkout (this one by default, or an older commit's
 * worktree to compare before and after): malformed and inconsistent configs, kill -9 mid-stage, corrupted artifacts,
 * path-escape attempts, upstream artifacts of another cell, preset or config (identity), a bad environment, full
 * or read-only disk and stray pipeline files (environment), and determinism runs (the same run twice, and in a workspace at another path). Each case runs
 * the stage CLIs directly (no Nx, no cache) in a scratch workspace that copies the checkout's packages, and its outcome
 * is classified as one of:
 *   clear      stopped with a one-line error naming what is wrong (for a config: the field, at load)
 *   late       a clear error, but only after earlier stages had run (a config problem not caught at load)
 *   unclear    stopped, but the message does not name the field, or misreports the value
 *   oversized  stopped with a message longer than MAX_MESSAGE characters (an echoed value)
 *   stack      a stack trace reached the user
 *   hang       no answer within the time limit
 *   silent     accepted what should have been refused (or recovered differently from an uninterrupted run)
 *   ok         a case that should succeed did (determinism, recovery after a kill, a control config)
 * Only node built-ins and execa are used, so the script runs unchanged against older checkouts.
 */
import { execa, type ResultPromise } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runName, runsOf, withSweepDefaults } from '@goodhart/core';
import { isRunning as alive, processTree } from './stop-on-signal.ts';

type Outcome = 'clear' | 'late' | 'unclear' | 'oversized' | 'stack' | 'hang' | 'silent' | 'ok';
interface CaseResult {
  family: string;
  name: string;
  outcome: Outcome;
  detail: string;
}
// biome-ignore lint/suspicious/noExplicitAny: a parsed preset edited at arbitrary depth by the cases below
type Json = Record<string, any>;

const MAX_MESSAGE = 2000;

const { values: args } = parseArgs({
  options: {
    checkout: { type: 'string', default: process.cwd() },
    families: { type: 'string', default: 'configs,kills,corruptions,escapes,identity,environment,signals,links,determinism' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // How long one stage CLI may take before it counts as a hang; raise it on a machine others are loading.
    timeout: { type: 'string', default: '180' },
  },
});
const CLI_TIMEOUT_MS = Number(args.timeout) * 1000;
/** A whole `npm run pipeline` of the test preset (about 16 stage runs, two at a time). */
const PIPELINE_TIMEOUT_MS = CLI_TIMEOUT_MS * 4;
if (!(CLI_TIMEOUT_MS > 0)) throw new Error(`--timeout: got ${JSON.stringify(args.timeout)}; must be a positive number of seconds`);
const checkout = resolve(args.checkout);
const families = new Set(args.families.split(','));
const scratch = await mkdtemp(join(tmpdir(), 'goodhart-bad-input-'));
const results: CaseResult[] = [];

/** Seconds spent per family: the time since the previous record goes to the family of this one (they run in turn). */
const familySeconds = new Map<string, number>();
let lastRecordAt = performance.now();

function record(family: string, name: string, outcome: Outcome, detail: string): void {
  const now = performance.now();
  familySeconds.set(family, (familySeconds.get(family) ?? 0) + (now - lastRecordAt) / 1000);
  lastRecordAt = now;
  results.push({ family, name, outcome, detail });
  process.stdout.write(`[${family}] ${name}: ${outcome} — ${detail.split('\n')[0]!.slice(0, 240)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Workspaces: a copy of the checkout's code at a path of our choosing, with node_modules linked except the
// workspace packages, which point at the copy (so no code path leads back to the checkout).

async function makeWorkspace(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  // package-lock.json: Nx makes its external (npm) nodes from it, which the tasks' inputs name.
  for (const file of ['nx.json', 'package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.json', '.gitignore']) {
    if (existsSync(join(checkout, file))) await cp(join(checkout, file), join(dir, file));
  }
  await cp(join(checkout, 'tools'), join(dir, 'tools'), { recursive: true });
  await mkdir(join(dir, 'pipelines'));
  await cp(join(checkout, 'pipelines', 'test.json'), join(dir, 'pipelines', 'test.json'));
  for (const pkg of await readdir(join(checkout, 'packages'))) {
    for (const entry of ['package.json', 'project.json', 'src', 'csrc', 'binding.gyp']) {
      const from = join(checkout, 'packages', pkg, entry);
      if (existsSync(from)) await cp(from, join(dir, 'packages', pkg, entry), { recursive: true });
    }
    const build = join(checkout, 'packages', pkg, 'build');
    if (existsSync(build)) await symlink(build, join(dir, 'packages', pkg, 'build'), 'dir');
  }
  await mkdir(join(dir, 'node_modules', '@goodhart'), { recursive: true });
  for (const entry of await readdir(join(checkout, 'node_modules'))) {
    if (entry !== '@goodhart') await symlink(join(checkout, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  for (const pkg of await readdir(join(checkout, 'packages')))
    await symlink(join('..', '..', 'packages', pkg), join(dir, 'node_modules', '@goodhart', pkg), 'dir');
  await execa('git', ['init', '-q'], { cwd: dir });
  return dir;
}

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  signal: string | undefined;
}

function runCli(ws: string, stage: string, preset: string, extra: string[] = [], timeout = CLI_TIMEOUT_MS): Promise<Run> {
  return execa('node', ['--import', 'tsx', `packages/${stage}/src/cli.ts`, '--preset', preset, ...extra], {
    cwd: ws,
    reject: false,
    timeout,
    env: { GOODHART_THREADS: '1', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  }).then((r) => ({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: r.timedOut, signal: r.signal }));
}

function startCli(ws: string, stage: string, preset: string, extra: string[] = []): ResultPromise {
  return execa('node', ['--import', 'tsx', `packages/${stage}/src/cli.ts`, '--preset', preset, ...extra], {
    cwd: ws,
    reject: false,
    env: { GOODHART_THREADS: '1' },
  });
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** Classifies a failed (or not failed) command; `mentions` are strings a clear message must contain. */
function classifyFailure(run: Run, mentions: string[], forbidden: string[] = []): { outcome: Outcome; detail: string } {
  // The engine banner each stage prints to stderr is not part of an error.
  const message = run.stderr
    .split('\n')
    .filter((line) => !/^\[[^\]]*\] engine: /.test(line) && line.trim() !== '')
    .join('\n');
  if (run.timedOut) return { outcome: 'hang', detail: `no answer within ${CLI_TIMEOUT_MS / 1000} s` };
  if (run.exitCode === 0) return { outcome: 'silent', detail: 'exit 0' };
  if (STACK.test(message)) return { outcome: 'stack', detail: message.split('\n').slice(0, 3).join(' | ') };
  const longest = Math.max(0, ...message.split('\n').map((line) => line.length));
  if (longest > MAX_MESSAGE) return { outcome: 'oversized', detail: `a ${longest.toLocaleString('en-US')}-character line` };
  const missing = mentions.filter((m) => !message.includes(m));
  const bad = forbidden.filter((f) => message.includes(f));
  if (missing.length > 0 || bad.length > 0) {
    return {
      outcome: 'unclear',
      detail: `${missing.length ? `does not mention ${missing.map((m) => JSON.stringify(m)).join(', ')}` : `says ${bad.map((b) => JSON.stringify(b)).join(', ')}`}: ${message.slice(0, 300)}`,
    };
  }
  return { outcome: 'clear', detail: message.replace(/\n\s*/g, ' | ').slice(0, 300) };
}

// ---------------------------------------------------------------------------------------------------------------
// The test preset's stages in dependency order, as CLI invocations.

/**
 * The cells of proxy.grid, in cellsOf's order (packages/core/src/pipeline/naming.ts). Spelled again here rather than
 * imported because this script must run unchanged against older checkouts (see the header).
 */
function cellNames(config: Json): string[] {
  const grid = config.proxy?.grid;
  if (!grid || ![grid.sizes, grid.comparisons, grid.seeds].every(Array.isArray)) return [];
  const extra = grid.extraSeeds;
  const hasExtra = extra && Array.isArray(extra.sizes) && Array.isArray(extra.seeds);
  return (grid.sizes as string[]).flatMap((size) => {
    const seeds = hasExtra && (extra.sizes as string[]).includes(size) ? [...grid.seeds, ...extra.seeds] : (grid.seeds as number[]);
    return (grid.comparisons as number[]).flatMap((n) => seeds.map((seed) => `${size}-n${n}-s${seed}`));
  });
}

function stageSteps(config: Json): [string, string[]][] {
  const cells = cellNames(config);
  const bonProxies: string[] = Array.isArray(config.bon?.proxies) ? config.bon.proxies : cells;
  const steps: [string, string[]][] = [
    ['pretrain', []],
    ['label', []],
  ];
  for (const cell of cells) steps.push(['proxy', ['--cell', cell]]);
  steps.push(['proxy', ['--summary']], ['bon', ['--pool']]);
  for (const cell of bonProxies) steps.push(['bon', ['--score', cell]]);
  steps.push(['bon', ['--curves']]);
  if (config.ppo) {
    const sweep = withSweepDefaults<number, string>(config.ppo, config.policy?.sizes ?? []);
    for (const run of runsOf({ proxies: config.ppo.proxies ?? [], ...sweep })) steps.push(['ppo', ['--run', runName(run)]]);
    steps.push(['ppo', ['--summary']]);
  }
  steps.push(['fit', []]);
  return steps;
}

/** Runs the chain until a step fails; returns how many steps succeeded and the failing run, if any. */
async function runChain(ws: string, preset: string, config: Json): Promise<{ done: number; failed?: Run; step?: string }> {
  const steps = stageSteps(config);
  for (const [i, [stage, extra]] of steps.entries()) {
    const run = await runCli(ws, stage, preset, extra);
    if (run.exitCode !== 0 || run.timedOut) return { done: i, failed: run, step: [stage, ...extra].join(' ') };
  }
  return { done: steps.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Files.

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out.sort();
}

async function fileHashes(dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const file of await listFiles(dir))
    hashes.set(
      relative(dir, file),
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  return hashes;
}

function compareTrees(a: Map<string, string>, b: Map<string, string>): { same: number; differ: string[] } {
  const differ: string[] = [];
  let same = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(key) === b.get(key)) same += 1;
    else differ.push(key);
  }
  return { same, differ: differ.sort() };
}

async function tempLeftovers(ws: string): Promise<string[]> {
  return (await listDirs(join(ws, 'artifacts'))).filter((d) => /\.tmp-\d+-/.test(d.split('/').at(-1)!));
}

async function listDirs(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = join(dir, entry.name);
    out.push(full, ...(await listDirs(full)));
  }
  return out;
}

async function systemTempPretrainDirs(): Promise<Set<string>> {
  return new Set((await readdir(tmpdir())).filter((n) => n.startsWith('goodhart-pretrain-')));
}

async function waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function flipByte(file: string, fromEnd = 5): Promise<void> {
  const bytes = await readFile(file);
  bytes[bytes.length - fromEnd] = bytes[bytes.length - fromEnd]! ^ 0x01;
  await writeFile(file, bytes);
}

/** Rewrites `manifest.json` of a stage dir so it records the current bytes of `rel` (a forged artifact). */
async function reseal(stageDir: string, rel: string): Promise<void> {
  const manifestPath = join(stageDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
  const bytes = await readFile(join(stageDir, rel));
  const entry = manifest.files.find((f) => f.path === rel)!;
  entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  entry.bytes = bytes.length;
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

function rewriteSafetensorsHeader(bytes: Buffer, mutate: (header: Json) => void): Buffer {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Json;
  mutate(header);
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length), 0);
  return Buffer.concat([prefix, padded, bytes.subarray(8 + headerLength)]);
}

// ---------------------------------------------------------------------------------------------------------------

const baseConfig = JSON.parse(await readFile(join(checkout, 'pipelines', 'test.json'), 'utf8')) as Json;
const reference = await makeWorkspace(join(scratch, 'reference', 'checkout'));
process.stdout.write(`bad-input pass over ${checkout} (scratch ${scratch})\n`);
const referenceRun = await runChain(reference, 'test', baseConfig);
if (referenceRun.failed) throw new Error(`the unmodified test preset failed at ${referenceRun.step}: ${referenceRun.failed.stderr}`);
const referenceHashes = await fileHashes(join(reference, 'artifacts', 'test'));
process.stdout.write(`reference run: ${referenceHashes.size} files under artifacts/test in ${((performance.now() - lastRecordAt) / 1000).toFixed(0)} s\n`);
lastRecordAt = performance.now();

// ----- malformed and inconsistent configs ------------------------------------------------------------------------

interface ConfigCase {
  name: string;
  /** Edits the parsed test preset, or gives the file's raw text. */
  edit: ((c: Json) => string) | ((c: Json) => void);
  /** What a clear message must contain (the field, usually). */
  mentions: string[];
  forbidden?: string[];
  /** Probe with `nx show projects` instead of running the stages (for a grid too large to run). */
  nx?: boolean;
}

const grid = (c: Json): Json => c.proxy.grid;
const configCases: ConfigCase[] = [
  { name: 'invalid JSON', edit: () => '{ "name": "x", ', mentions: ['not valid JSON'] },
  { name: 'top level is an array', edit: () => '[1, 2]', mentions: ['expected object'] },
  {
    name: 'name differs from the file name',
    edit: (c) => {
      c.name = 'other';
    },
    mentions: ['"name"'],
  },
  {
    name: 'unknown field',
    edit: (c) => {
      c.pretrain.stepz = 3;
    },
    mentions: ['pretrain.stepz'],
  },
  {
    name: 'missing field',
    edit: (c) => {
      delete c.tokenizer.vocabSize;
    },
    mentions: ['tokenizer.vocabSize'],
  },
  {
    name: 'string for a number',
    edit: (c) => {
      c.pretrain.batchSize = '16';
    },
    mentions: ['pretrain.batchSize'],
  },
  {
    name: 'negative count',
    edit: (c) => {
      c.label.prompts = -3;
    },
    mentions: ['label.prompts'],
  },
  {
    name: 'fractional count',
    edit: (c) => {
      c.pretrain.steps = 2.5;
    },
    mentions: ['pretrain.steps'],
  },
  {
    name: '1e400 (Infinity)',
    edit: (c) => JSON.stringify(c).replace('"learningRate":0.003', '"learningRate":1e400'),
    mentions: ['pretrain.learningRate', 'Infinity'],
    forbidden: ['got null'],
  },
  {
    name: 'null value',
    edit: (c) => {
      c.seed = null;
    },
    mentions: ['seed'],
  },
  {
    name: '5 MB string value',
    edit: (c) => {
      c.corpus.source = 'x'.repeat(5_000_000);
    },
    mentions: ['corpus.source'],
  },
  {
    name: '5 MB field name',
    edit: (c) => {
      c.corpus['k'.repeat(5_000_000)] = 1;
    },
    mentions: ['unknown field'],
  },
  {
    name: 'heads do not divide dModel',
    edit: (c) => {
      c.models.tiny.heads = 3;
    },
    mentions: ['models.tiny.heads'],
  },
  {
    name: 'unknown model size',
    edit: (c) => {
      c.pretrain.sizes = ['tiny', 'huge'];
    },
    mentions: ['pretrain.sizes'],
  },
  {
    name: 'policy size not pretrained',
    edit: (c) => {
      c.policy.sizes = ['tiny', 'small'];
      c.pretrain.sizes = ['small'];
    },
    mentions: ['policy.sizes'],
  },
  {
    name: 'empty grid list',
    edit: (c) => {
      grid(c).seeds = [];
    },
    mentions: ['proxy.grid.seeds'],
  },
  {
    name: 'duplicate policy.sizes',
    edit: (c) => {
      c.policy.sizes = ['small', 'small'];
    },
    mentions: ['policy.sizes', 'small'],
  },
  {
    name: 'duplicate bon.proxies',
    edit: (c) => {
      c.bon.proxies = ['tiny-n20-s0', 'tiny-n20-s0'];
    },
    mentions: ['bon.proxies', 'tiny-n20-s0'],
  },
  {
    name: 'duplicate bon.curves.ns',
    edit: (c) => {
      c.bon.curves.ns = [1, 2, 5, 5];
    },
    mentions: ['bon.curves.ns'],
  },
  {
    name: 'duplicate proxy.grid.seeds',
    edit: (c) => {
      grid(c).seeds = [0, 0];
    },
    mentions: ['proxy.grid.seeds'],
  },
  {
    name: 'duplicate ppo.klCoefficients',
    edit: (c) => {
      c.ppo.klCoefficients = [0, 0];
    },
    mentions: ['ppo.klCoefficients'],
  },
  {
    name: 'duplicate ppo.policies',
    edit: (c) => {
      c.ppo.policies = ['small', 'small'];
    },
    mentions: ['ppo.policies'],
  },
  {
    name: 'bon.proxies not a grid cell',
    edit: (c) => {
      c.bon.proxies = ['tiny-n999-s0'];
    },
    mentions: ['bon.proxies'],
  },
  {
    name: 'ppo.proxies not a grid cell',
    edit: (c) => {
      c.ppo.proxies = ['tiny-n999-s0'];
    },
    mentions: ['ppo.proxies'],
  },
  {
    name: 'minibatches do not divide batchSize',
    edit: (c) => {
      c.ppo.minibatches = 3;
    },
    mentions: ['ppo.minibatches'],
  },
  {
    name: 'warmup ≥ steps',
    edit: (c) => {
      c.pretrain.warmupSteps = 12;
    },
    mentions: ['pretrain.warmupSteps'],
  },
  {
    name: 'label prompts beyond prompts.count',
    edit: (c) => {
      c.label.prompts = 40;
    },
    mentions: ['label'],
  },
  {
    name: 'response tokens beyond the context',
    edit: (c) => {
      c.label.responseTokens = 44;
    },
    mentions: ['label.responseTokens'],
  },
  {
    name: 'prompts.minWords too large',
    edit: (c) => {
      c.prompts.minWords = 30;
      c.prompts.maxWords = 32;
    },
    mentions: ['prompts.'],
  },
  {
    name: 'comparisons above the pairs label makes',
    edit: (c) => {
      grid(c).comparisons = [20, 500];
    },
    mentions: ['proxy.grid.comparisons'],
  },
  {
    name: 'label.prompts gives no training comparisons',
    edit: (c) => {
      c.label.prompts = 1;
      grid(c).comparisons = [1];
      c.ppo.proxies = ['tiny-n1-s0'];
    },
    mentions: ['label.prompts'],
  },
  {
    name: 'bon.curves.ns with one entry',
    edit: (c) => {
      c.bon.curves.ns = [4];
    },
    mentions: ['bon.curves.ns'],
  },
  {
    name: 'near-zero temperature',
    edit: (c) => {
      c.label.temperature = 1e-7;
    },
    mentions: ['label.temperature'],
  },
  {
    name: '12,000-cell grid',
    edit: (c) => {
      grid(c).comparisons = Array.from({ length: 60 }, (_, i) => i + 1);
      grid(c).seeds = Array.from({ length: 100 }, (_, i) => i);
    },
    mentions: ['proxy.grid'],
    nx: true,
  },
  {
    name: 'duplicate key (seed given twice)',
    edit: (c) => JSON.stringify(c, null, 2).replace('{', '{\n  "seed": 99,'),
    mentions: ['"seed"'],
  },
  {
    name: '50 MB description',
    edit: (c) => {
      c.description = 'x'.repeat(50_000_000);
    },
    mentions: ['description'],
  },
  { name: 'control: the test preset renamed', edit: () => undefined, mentions: [] },
];

async function configCase(ws: string, index: number, c: ConfigCase): Promise<void> {
  const name = `bad-${index}`;
  const config = structuredClone(baseConfig);
  config.name = name;
  const edited = c.edit(config);
  const text = typeof edited === 'string' ? edited : JSON.stringify(config, null, 2);
  const file = join(ws, 'pipelines', `${name}.json`);
  await writeFile(file, text);
  let parsed: Json = {};
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    // invalid JSON: the first stage is all there is to run
  }
  const control = c.mentions.length === 0;
  if (c.nx) {
    const load = await runCli(ws, 'pretrain', name, [], 60_000);
    if (load.exitCode !== 0) {
      const { outcome, detail } = classifyFailure(load, c.mentions, c.forbidden);
      record('configs', c.name, outcome, `at load: ${detail}`);
    } else {
      // The stages would accept it; the fault is that every Nx command (of every preset) takes minutes.
      const started = Date.now();
      const nx = await execa('npx', ['nx', 'show', 'projects'], {
        cwd: ws,
        reject: false,
        timeout: 120_000,
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      record(
        'configs',
        c.name,
        nx.timedOut ? 'hang' : 'silent',
        `accepted at load; \`nx show projects\` ${nx.timedOut ? `gave no answer within 120 s` : `answered in ${seconds} s`}`,
      );
    }
    await rm(file, { force: true });
    return;
  }
  const chain = await runChain(ws, name, parsed.proxy ? parsed : baseConfig);
  await rm(file, { force: true });
  await rm(join(ws, 'artifacts', name), { recursive: true, force: true });
  if (!chain.failed) {
    record('configs', c.name, control ? 'ok' : 'silent', `all ${chain.done} stage runs succeeded`);
    return;
  }
  const { outcome, detail } = classifyFailure(chain.failed, c.mentions, c.forbidden);
  // Caught at load: the first stage stopped with a config error before doing any work.
  const atLoad = chain.done === 0 && chain.failed.stderr.includes('invalid pipeline config');
  const where = atLoad ? 'at load' : `after ${chain.done} stage runs, in ${chain.step}`;
  if (control) record('configs', c.name, outcome === 'clear' ? 'unclear' : outcome, `failed ${where}: ${detail}`);
  else if (!atLoad && outcome === 'clear') record('configs', c.name, 'late', `${where}: ${detail}`);
  else record('configs', c.name, outcome, `${where}: ${detail}`);
}

if (families.has('configs')) {
  const ws = await makeWorkspace(join(scratch, 'configs'));
  for (const [i, c] of configCases.entries()) await configCase(ws, i, c);
}

// ----- kill -9 mid-stage -------------------------------------------------------------------------------------------

interface KillCase {
  stage: string;
  extra: string[];
  /** The output dir, relative to artifacts/test. */
  output: string;
  /** When to kill: once this path (relative to artifacts/test) or a temp sibling of the output exists. */
  ready: (ws: string) => Promise<boolean>;
}

async function hasTempSibling(ws: string, output: string): Promise<boolean> {
  const abs = join(ws, 'artifacts', 'test', output);
  const parent = dirname(abs);
  if (!existsSync(parent)) return false;
  const base = abs.split('/').at(-1)!;
  return (await readdir(parent)).some((n) => n.startsWith(`${base}.tmp-`));
}

const killCases: KillCase[] = [
  { stage: 'pretrain', extra: [], output: 'pretrain', ready: (ws) => hasTempSibling(ws, 'pretrain') },
  { stage: 'label', extra: [], output: 'label', ready: (ws) => hasTempSibling(ws, 'label') },
  { stage: 'proxy', extra: ['--cell', 'small-n60-s0'], output: 'proxy/cells/small-n60-s0', ready: (ws) => hasTempSibling(ws, 'proxy/cells/small-n60-s0') },
  { stage: 'bon', extra: ['--pool'], output: 'bon/pool', ready: (ws) => hasTempSibling(ws, 'bon/pool') },
  {
    stage: 'ppo',
    extra: ['--run', 'tiny-n20-s0-kl0-small'],
    output: 'ppo/runs/tiny-n20-s0-kl0-small',
    ready: async (ws) => existsSync(join(ws, 'artifacts', 'test', 'ppo', 'work', 'tiny-n20-s0-kl0-small', 'current', 'complete')),
  },
];

if (families.has('kills')) {
  for (const k of killCases) {
    const name = `kill -9 ${k.stage} ${k.extra.join(' ')}`.trim();
    const ws = await makeWorkspace(join(scratch, `kill-${k.stage}`));
    await cp(join(reference, 'artifacts'), join(ws, 'artifacts'), { recursive: true });
    await rm(join(ws, 'artifacts', 'test', k.output), { recursive: true, force: true });
    const before = await systemTempPretrainDirs();
    const child = startCli(ws, k.stage, 'test', k.extra);
    const ready = await waitFor(() => k.ready(ws), 120_000);
    child.kill('SIGKILL');
    await child;
    if (!ready) {
      record('kills', name, 'hang', 'the stage never reached the point to kill it');
      continue;
    }
    const leakedSystemTemp = [...(await systemTempPretrainDirs())].filter((n) => !before.has(n));
    const leftAfterKill = await tempLeftovers(ws);
    // The next start of any stage (here: fit, which then fails for the missing output or succeeds) should clean up.
    await runCli(ws, 'fit', 'test');
    const leftAfterNextStart = await tempLeftovers(ws);
    const rerun = await runCli(ws, k.stage, 'test', k.extra);
    const output = join(ws, 'artifacts', 'test', k.output);
    const { differ } = compareTrees(
      await fileHashes(output),
      new Map([...referenceHashes].filter(([p]) => p.startsWith(`${k.output}/`)).map(([p, h]) => [relative(k.output, p), h])),
    );
    for (const leaked of leakedSystemTemp) await rm(join(tmpdir(), leaked), { recursive: true, force: true });
    const problems: string[] = [];
    if (rerun.exitCode !== 0) problems.push(`rerun failed: ${rerun.stderr.slice(0, 200)}`);
    if (differ.length > 0) problems.push(`rerun differs from an uninterrupted run in ${differ.join(', ')}`);
    if (leakedSystemTemp.length > 0) problems.push(`left ${leakedSystemTemp.map((n) => join(tmpdir(), n)).join(', ')} in the system temp dir`);
    if (leftAfterNextStart.length > 0)
      problems.push(
        `${leftAfterNextStart.length} temp dirs under artifacts/ survived the next start of another stage (${leftAfterNextStart.map((d) => relative(ws, d)).join(', ')})`,
      );
    record(
      'kills',
      name,
      problems.length === 0 ? 'ok' : 'silent',
      problems.length === 0
        ? `recovered byte-identically; ${leftAfterKill.length} temp dirs left by the kill were removed by the next stage start`
        : problems.join('; '),
    );
    await rm(ws, { recursive: true, force: true });
  }
}

// ----- corrupted artifacts ------------------------------------------------------------------------------------------

interface CorruptionCase {
  name: string;
  /** Damages the workspace's artifacts (a copy of the reference's). */
  damage: (a: string) => Promise<void>;
  /** The stage run that must notice. */
  consumer: [string, string[]];
  mentions: string[];
  /** Instead of an error, the consumer may recover: its output then must equal the reference's. */
  recoverable?: { output: string; warning: string };
}

const A = (...p: string[]): string => join(...p);
const corruptionCases: CorruptionCase[] = [
  {
    name: 'flipped byte in the pretrained policy',
    damage: (a) => flipByte(A(a, 'pretrain', 'models', 'small', 'model.safetensors')),
    consumer: ['label', []],
    mentions: ['corrupt', 'model.safetensors'],
  },
  {
    name: 'truncated label comparisons',
    damage: async (a) => writeFile(A(a, 'label', 'comparisons.parquet'), (await readFile(A(a, 'label', 'comparisons.parquet'))).subarray(0, 100)),
    consumer: ['proxy', ['--cell', 'tiny-n20-s0']],
    mentions: ['comparisons.parquet'],
  },
  {
    name: 'deleted proxy weights',
    damage: (a) => rm(A(a, 'proxy', 'cells', 'tiny-n20-s0', 'model', 'model.safetensors')),
    consumer: ['bon', ['--score', 'tiny-n20-s0']],
    mentions: ['model.safetensors'],
  },
  {
    name: 'flipped byte in the best-of-n pool',
    damage: (a) => flipByte(A(a, 'bon', 'pool', 'pool.parquet')),
    consumer: ['bon', ['--score', 'tiny-n20-s0']],
    mentions: ['pool.parquet'],
  },
  {
    name: 'manifest.json not JSON',
    damage: (a) => writeFile(A(a, 'pretrain', 'manifest.json'), '{ not json'),
    consumer: ['label', []],
    mentions: ['manifest'],
  },
  {
    name: 'manifest.json of another stage',
    damage: (a) => cp(A(a, 'label', 'manifest.json'), A(a, 'pretrain', 'manifest.json')),
    consumer: ['label', []],
    mentions: ['wrong artifact'],
  },
  {
    name: 'manifest.json missing',
    damage: (a) => rm(A(a, 'label', 'manifest.json')),
    consumer: ['proxy', ['--cell', 'tiny-n20-s0']],
    mentions: ['missing artifact'],
  },
  {
    name: 'safetensors with negative data_offsets (manifest resealed)',
    damage: async (a) => {
      const file = A(a, 'pretrain', 'models', 'small', 'model.safetensors');
      await writeFile(
        file,
        rewriteSafetensorsHeader(await readFile(file), (h) => {
          const first = Object.keys(h)
            .filter((k) => k !== '__metadata__')
            .sort((x, y) => h[x].data_offsets[0] - h[y].data_offsets[0])[0]!;
          h[first].data_offsets = [-h[first].data_offsets[1], 0];
        }),
      );
      await reseal(A(a, 'pretrain'), 'models/small/model.safetensors');
    },
    consumer: ['label', []],
    mentions: ['data_offsets'],
  },
  {
    name: 'safetensors with overlapping tensors (manifest resealed)',
    damage: async (a) => {
      const file = A(a, 'pretrain', 'models', 'small', 'model.safetensors');
      await writeFile(
        file,
        rewriteSafetensorsHeader(await readFile(file), (h) => {
          const sameShape = Object.keys(h)
            .filter((k) => k.endsWith('ln_1.b') || k.endsWith('ln_2.b'))
            .sort();
          h[sameShape[1]!].data_offsets = [...h[sameShape[0]!].data_offsets];
        }),
      );
      await reseal(A(a, 'pretrain'), 'models/small/model.safetensors');
    },
    consumer: ['label', []],
    mentions: ['data_offsets'],
  },
  {
    name: 'flipped byte in a PPO resume checkpoint',
    damage: async () => undefined, // done by the case itself: needs a killed run
    consumer: ['ppo', ['--run', 'tiny-n20-s0-kl0-small']],
    mentions: ['corrupt'],
    recoverable: { output: 'ppo/runs/tiny-n20-s0-kl0-small', warning: 'corrupt' },
  },
];

async function ppoCheckpointCase(ws: string, c: CorruptionCase): Promise<void> {
  const a = join(ws, 'artifacts', 'test');
  const run = 'tiny-n20-s0-kl0-small';
  await rm(join(a, 'ppo', 'runs', run), { recursive: true, force: true });
  const child = startCli(ws, 'ppo', 'test', ['--run', run]);
  const current = join(a, 'ppo', 'work', run, 'current');
  const ready = await waitFor(async () => existsSync(join(current, 'complete')) && existsSync(join(current, 'state.json')), 120_000);
  child.kill('SIGKILL');
  await child;
  if (!ready) return record('corruptions', c.name, 'hang', 'no checkpoint appeared');
  await flipByte(join(current, 'policy.safetensors'), 9);
  const rerun = await runCli(ws, 'ppo', 'test', ['--run', run]);
  const output = join(a, 'ppo', 'runs', run);
  const { differ } = compareTrees(
    await fileHashes(output),
    new Map([...referenceHashes].filter(([p]) => p.startsWith(`ppo/runs/${run}/`)).map(([p, h]) => [relative(`ppo/runs/${run}`, p), h])),
  );
  const said = `${rerun.stdout}\n${rerun.stderr}`;
  if (rerun.exitCode === 0 && differ.length === 0 && /corrupt/i.test(said)) {
    const line = said.split('\n').find((l) => /corrupt/i.test(l)) ?? '';
    return record('corruptions', c.name, 'clear', `refused with a warning, recovered byte-identically: ${line.trim().slice(0, 200)}`);
  }
  if (rerun.exitCode === 0)
    return record(
      'corruptions',
      c.name,
      'silent',
      `resumed the damaged checkpoint without a word; outputs ${differ.length ? `differ in ${differ.join(', ')}` : 'happen to match'}`,
    );
  const { outcome, detail } = classifyFailure(rerun, c.mentions);
  record('corruptions', c.name, outcome, detail);
}

if (families.has('corruptions')) {
  for (const c of corruptionCases) {
    const ws = await makeWorkspace(join(scratch, 'corrupt'));
    await cp(join(reference, 'artifacts'), join(ws, 'artifacts'), { recursive: true });
    if (c.recoverable) await ppoCheckpointCase(ws, c);
    else {
      await c.damage(join(ws, 'artifacts', 'test'));
      const run = await runCli(ws, c.consumer[0], 'test', c.consumer[1]);
      const { outcome, detail } = classifyFailure(run, c.mentions);
      record('corruptions', c.name, outcome, detail);
    }
    await rm(ws, { recursive: true, force: true });
  }
}

// ----- path escapes ---------------------------------------------------------------------------------------------------

if (families.has('escapes')) {
  const ws = await makeWorkspace(join(scratch, 'escapes', 'checkout'));
  await cp(join(reference, 'artifacts'), join(ws, 'artifacts'), { recursive: true });
  const outside = join(scratch, 'escapes');
  const escapeCases: { name: string; run: () => Promise<Run>; mentions: string[]; setup?: () => Promise<void> }[] = [
    { name: '--preset ../../etc/passwd', run: () => runCli(ws, 'label', '../../etc/passwd'), mentions: ['file not found'] },
    { name: '--preset <a .json path outside the workspace>', run: () => runCli(ws, 'label', join(outside, 'evil.json')), mentions: ['file not found'] },
    { name: '--cell ../../../escaped', run: () => runCli(ws, 'proxy', 'test', ['--cell', '../../../escaped']), mentions: ['../../../escaped'] },
    { name: '--cell with a valid shape but absent', run: () => runCli(ws, 'proxy', 'test', ['--cell', 'tiny-n7-s0']), mentions: ['tiny-n7-s0'] },
    { name: '--score ../../x', run: () => runCli(ws, 'bon', 'test', ['--score', '../../x']), mentions: ['../../x'] },
    { name: '--run ../../../escaped', run: () => runCli(ws, 'ppo', 'test', ['--run', '../../../escaped']), mentions: ['../../../escaped'] },
    {
      name: 'preset "name" with a slash',
      setup: async () => writeFile(join(ws, 'pipelines', 'slash.json'), JSON.stringify({ ...baseConfig, name: '../slash' })),
      run: () => runCli(ws, 'pretrain', 'slash'),
      mentions: ['"name"'],
    },
    {
      name: 'bon.proxies naming a path',
      setup: async () =>
        writeFile(
          join(ws, 'pipelines', 'bonpath.json'),
          JSON.stringify({ ...baseConfig, name: 'bonpath', bon: { ...baseConfig.bon, proxies: ['../../../escaped'] } }),
        ),
      run: () => runCli(ws, 'pretrain', 'bonpath'),
      mentions: ['bon.proxies'],
    },
    {
      name: 'manifest listing ../ path',
      setup: async () => {
        const m = join(ws, 'artifacts', 'test', 'label', 'manifest.json');
        const manifest = JSON.parse(await readFile(m, 'utf8')) as Json;
        manifest.files[0].path = '../../../../escaped.txt';
        await writeFile(m, JSON.stringify(manifest));
      },
      run: () => runCli(ws, 'proxy', 'test', ['--cell', 'tiny-n20-s0']),
      mentions: ['manifest'],
    },
    {
      name: 'symlink inside an output pointing outside',
      setup: async () => {
        await writeFile(join(outside, 'secret.txt'), 'secret');
        const manifest = JSON.parse(await readFile(join(ws, 'artifacts', 'test', 'pretrain', 'manifest.json'), 'utf8')) as Json;
        const rel = (manifest.files as { path: string }[]).find((f) => f.path.endsWith('tokenizer.json'))!.path;
        await rm(join(ws, 'artifacts', 'test', 'pretrain', rel));
        await symlink(join(outside, 'secret.txt'), join(ws, 'artifacts', 'test', 'pretrain', rel));
      },
      run: () => runCli(ws, 'label', 'test'),
      mentions: ['tokenizer.json'],
    },
  ];
  const before = new Set(await readdir(outside));
  for (const e of escapeCases) {
    await e.setup?.();
    const run = await e.run();
    const { outcome, detail } = classifyFailure(run, e.mentions);
    record('escapes', e.name, outcome, detail);
  }
  const created = (await readdir(outside)).filter((n) => !before.has(n) && n !== 'secret.txt');
  const writtenOutside = [...created, ...(existsSync('/escaped') ? ['/escaped'] : [])];
  record(
    'escapes',
    'nothing written outside artifacts/',
    writtenOutside.length === 0 ? 'ok' : 'silent',
    writtenOutside.length === 0 ? 'no new file beside the workspace' : `new: ${writtenOutside.join(', ')}`,
  );
}

// ----- upstream identity, environment, file system (issue 25) ----------------------------------------------------------

/** A stage CLI with extra environment (runCli pins GOODHART_THREADS to 1). */
function runCliWith(ws: string, stage: string, preset: string, extra: string[], env: Record<string, string>): Promise<Run> {
  return execa('node', ['--import', 'tsx', `packages/${stage}/src/cli.ts`, '--preset', preset, ...extra], {
    cwd: ws,
    reject: false,
    timeout: CLI_TIMEOUT_MS,
    env: { GOODHART_THREADS: '1', ...env },
  }).then((r) => ({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: r.timedOut, signal: r.signal }));
}

/** `npm run pipeline` in a workspace (as `node scripts/pipeline.ts`), stopped after `timeout` ms. */
function runPipeline(ws: string, extra: string[], env: Record<string, string> = {}, timeout = CLI_TIMEOUT_MS): Promise<Run> {
  return execa('node', ['--import', 'tsx', 'scripts/pipeline.ts', '--preset', 'test', ...extra], {
    cwd: ws,
    reject: false,
    timeout,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env },
  }).then((r) => ({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: r.timedOut, signal: r.signal }));
}

/** A tmpfs at `dir` (mounting needs root); false when there is none. */
async function mountTmpfs(dir: string, options: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  return (await execa('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { reject: false })).exitCode === 0;
}

if (families.has('identity')) {
  const ws = await makeWorkspace(join(scratch, 'identity'));
  await cp(join(reference, 'artifacts'), join(ws, 'artifacts'), { recursive: true });
  const cells = join(ws, 'artifacts', 'test', 'proxy', 'cells');
  await rm(join(cells, 'tiny-n60-s0'), { recursive: true });
  await cp(join(cells, 'tiny-n20-s0'), join(cells, 'tiny-n60-s0'), { recursive: true });
  const copied = classifyFailure(await runCli(ws, 'bon', 'test', ['--score', 'tiny-n60-s0']), ['tiny-n20-s0', 'tiny-n60-s0']);
  record('identity', 'a proxy cell copied over another, then scored', copied.outcome, copied.detail);
  await writeFile(join(ws, 'pipelines', 'other.json'), JSON.stringify({ ...baseConfig, name: 'other' }, null, 2));
  await cp(join(reference, 'artifacts', 'test'), join(ws, 'artifacts', 'other'), { recursive: true });
  const other = classifyFailure(await runCli(ws, 'bon', 'other', ['--score', 'tiny-n20-s0']), ['"test"', '"other"']);
  record('identity', "another preset's artifacts copied in, then scored", other.outcome, other.detail);
  const edited = structuredClone(baseConfig);
  edited.proxy.training.epochs += 1;
  await writeFile(join(ws, 'pipelines', 'test.json'), JSON.stringify(edited, null, 2));
  await rm(join(cells, 'tiny-n60-s0'), { recursive: true });
  await cp(join(reference, 'artifacts', 'test', 'proxy', 'cells', 'tiny-n60-s0'), join(cells, 'tiny-n60-s0'), { recursive: true });
  const stale = classifyFailure(await runCli(ws, 'bon', 'test', ['--score', 'tiny-n60-s0']), ['proxy.training']);
  record('identity', 'a cell trained before proxy.training changed, then scored', stale.outcome, stale.detail);
  await rm(ws, { recursive: true, force: true });
}

if (families.has('environment')) {
  const ws = await makeWorkspace(join(scratch, 'environment'));
  await cp(join(checkout, 'scripts'), join(ws, 'scripts'), { recursive: true });
  await cp(join(reference, 'artifacts'), join(ws, 'artifacts'), { recursive: true });
  const cell = join(ws, 'artifacts', 'test', 'proxy', 'cells', 'tiny-n20-s0');
  for (const threads of ['0', '-1', '1e9']) {
    const before = await fileHashes(cell);
    const run = await runCliWith(ws, 'proxy', 'test', ['--cell', 'tiny-n20-s0'], { GOODHART_THREADS: threads });
    const { differ } = compareTrees(before, await fileHashes(cell));
    const result = classifyFailure(run, ['GOODHART_THREADS']);
    const detail = differ.length > 0 ? `${result.detail}; rewrote ${differ.join(', ')}` : result.detail;
    record('environment', `GOODHART_THREADS=${threads} for one stage`, result.outcome, detail);
  }
  for (const [name, extra, env, mentions] of [
    ['npm run pipeline --engine bogus', ['--engine', 'bogus'], {}, ['bogus']],
    ['npm run pipeline with GOODHART_THREADS=1e9', [], { GOODHART_THREADS: '1e9' }, ['GOODHART_THREADS']],
    ['npm run pipeline with GOODHART_THREADS=0', [], { GOODHART_THREADS: '0' }, ['GOODHART_THREADS']],
  ] as const) {
    const result = classifyFailure(await runPipeline(ws, [...extra], env), [...mentions]);
    record('environment', name, result.outcome, result.detail);
  }
  // A preset file whose name is not a preset name must not become Nx projects.
  await cp(join(ws, 'pipelines', 'test.json'), join(ws, 'pipelines', 'Test_Copy.json'));
  const shown = await execa('npx', ['nx', 'show', 'projects'], {
    cwd: ws,
    reject: false,
    all: true,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
  const made = String(shown.stdout)
    .split('\n')
    .filter((line) => line.includes('Test_Copy'));
  const warned = String(shown.all).includes('Test_Copy.json');
  record(
    'environment',
    'a pipeline file named Test_Copy.json',
    made.length > 0 ? 'silent' : warned ? 'clear' : 'unclear',
    made.length > 0 ? `became ${made.length} Nx projects` : warned ? 'skipped with a warning' : 'skipped without a word',
  );
  await rm(join(ws, 'pipelines', 'Test_Copy.json'));
  // Disk full and read-only artifacts, on tmpfs mounts (root only).
  const bon = join(ws, 'artifacts', 'test', 'bon');
  const tiny = join(scratch, 'tiny-disk');
  if (await mountTmpfs(tiny, 'size=4k')) {
    await rm(bon, { recursive: true });
    await symlink(tiny, bon);
    const full = classifyFailure(await runCli(ws, 'bon', 'test', ['--pool']), ['disk is full', join(bon, 'pool')]);
    record('environment', 'disk full while the pool is written', full.outcome, full.detail);
    await rm(bon);
    await execa('umount', [tiny], { reject: false });
  } else record('environment', 'disk full while the pool is written', 'unclear', 'not run: mounting a tmpfs needs root');
  const readOnly = join(scratch, 'read-only');
  if (await mountTmpfs(readOnly, 'size=1m,ro')) {
    const roWs = await makeWorkspace(join(scratch, 'environment-ro'));
    await cp(join(checkout, 'scripts'), join(roWs, 'scripts'), { recursive: true });
    await symlink(readOnly, join(roWs, 'artifacts'));
    const ro = classifyFailure(await runPipeline(roWs, [], {}, 300_000), [join(roWs, 'artifacts', 'test'), 'EROFS']);
    record('environment', 'npm run pipeline with read-only artifacts', ro.outcome, ro.detail);
    await rm(join(roWs, 'artifacts'));
    await execa('umount', [readOnly], { reject: false });
  } else record('environment', 'npm run pipeline with read-only artifacts', 'unclear', 'not run: mounting a tmpfs needs root');
  await rm(ws, { recursive: true, force: true });
}

// ----- signals and a symlinked artifacts directory (issue 25, faults 3 and 4) ----------------------------------------

const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** SIGKILL to `pid`, which may have exited meanwhile (a run's processes end on their own while it is judged). */
function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let pipelineWorkspace: Promise<{ ws: string; hashes: Map<string, string> } | undefined> | undefined;

/**
 * A workspace with the checkout's scripts, where `npm run pipeline -- --preset test` ran once, uninterrupted; made
 * once, whether or not the run succeeded (undefined when it failed), for every case that needs it.
 */
function workspaceWithPipelineRun(): Promise<{ ws: string; hashes: Map<string, string> } | undefined> {
  pipelineWorkspace ??= (async () => {
    const ws = await makeWorkspace(join(scratch, 'pipeline-runs'));
    await cp(join(checkout, 'scripts'), join(ws, 'scripts'), { recursive: true });
    const run = await runPipeline(ws, [], {}, PIPELINE_TIMEOUT_MS);
    if (run.exitCode !== 0) {
      process.stdout.write(`the uninterrupted pipeline run failed (exit ${run.exitCode}): ${run.stderr.slice(-600)}\n`);
      return undefined;
    }
    return { ws, hashes: await fileHashes(join(ws, 'artifacts', 'test')) };
  })();
  return pipelineWorkspace;
}

/** The pipeline's outputs without the run's own bookkeeping (Slurm logs, PPO checkpoints). */
function outputsOnly(hashes: Map<string, string>): Map<string, string> {
  return new Map([...hashes].filter(([path]) => !path.startsWith('slurm/') && !path.includes('/work/')));
}

/**
 * Starts a run that computes (`--skip-cache`), sends `signal` once a task's process runs below Nx, and judges: every
 * process of the run gone within seconds, a nonzero exit, no stack trace, no temporary directory trusted (a rerun
 * ends with the uninterrupted run's outputs, none left behind).
 */
async function signalCase(name: string, command: string, commandArgs: string[], signal: NodeJS.Signals): Promise<void> {
  const base = await workspaceWithPipelineRun();
  if (!base) return record('signals', name, 'unclear', 'not run: the uninterrupted pipeline run failed');
  const { ws, hashes } = base;
  const run = execa(command, commandArgs, { cwd: ws, env: NX_ENV, all: true, reject: false, buffer: true });
  let output = '';
  run.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const pid = run.pid ?? 0;
  const started = await waitFor(() => /\[pipeline\] task 1\//.test(output) && processTree(pid).length >= 4, CLI_TIMEOUT_MS);
  if (!started) {
    run.kill('SIGKILL');
    await run;
    return record('signals', name, 'hang', `no task started within ${CLI_TIMEOUT_MS / 1000} s: ${output.slice(-200)}`);
  }
  const tree = processTree(pid);
  const sent = Date.now();
  process.kill(pid, signal);
  const exited = await Promise.race([run.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000))]);
  if (!exited) {
    for (const p of processTree(pid).reverse()) killIfRunning(p);
    await run;
    return record('signals', name, 'hang', `still running 30 s after ${signal}`);
  }
  const result = await run;
  const seconds = (Date.now() - sent) / 1000;
  const gone = await waitFor(() => tree.every((p) => !alive(p)), 5_000);
  const left = tree.filter(alive);
  for (const p of left) killIfRunning(p);
  const all = String(result.all ?? output);
  if (/EPIPE/.test(all) || STACK.test(all)) return record('signals', name, 'stack', all.split('\n').find((l) => /EPIPE|^\s+at /.test(l)) ?? '');
  const problems: string[] = [];
  if (!gone) problems.push(`${left.length} of the run's ${tree.length} processes still ran 5 s after it exited`);
  if (result.exitCode === 0) problems.push('exit 0');
  if (/pipeline "test" finished/.test(all)) problems.push('the run went on to the end');
  const rerun = await runPipeline(ws, [], {}, PIPELINE_TIMEOUT_MS);
  const { differ } = compareTrees(outputsOnly(hashes), outputsOnly(await fileHashes(join(ws, 'artifacts', 'test'))));
  const temps = await tempLeftovers(ws);
  if (rerun.exitCode !== 0) problems.push(`the rerun failed (exit ${rerun.exitCode}): ${rerun.stderr.slice(0, 200)}`);
  if (differ.length > 0) problems.push(`after the rerun ${differ.length} files differ from the uninterrupted run: ${differ.slice(0, 5).join(', ')}`);
  if (temps.length > 0) problems.push(`temporary directories left: ${temps.map((d) => relative(ws, d)).join(', ')}`);
  record(
    'signals',
    name,
    problems.length === 0 ? 'ok' : 'silent',
    problems.length === 0
      ? `stopped in ${seconds.toFixed(1)} s (exit ${result.exitCode}), all ${tree.length} processes gone; the rerun ended with the uninterrupted run's outputs`
      : problems.join('; '),
  );
}

if (families.has('signals')) {
  const pipelineArgs = ['--preset', 'test', '--skip-cache'];
  await signalCase("SIGTERM to the pipeline's node process", 'node', ['--import', 'tsx', 'scripts/pipeline.ts', ...pipelineArgs], 'SIGTERM');
  await signalCase('SIGTERM to npm run pipeline', 'npm', ['run', '--silent', 'pipeline', '--', ...pipelineArgs], 'SIGTERM');
  await signalCase('SIGINT to npm run pipeline', 'npm', ['run', '--silent', 'pipeline', '--', ...pipelineArgs], 'SIGINT');
}

if (families.has('links')) {
  // The Nx cache filled while artifacts was a real directory; then it moves to a bigger disk (here: store/, inside
  // the workspace) and a link takes its place. A cached run must restore through the link and leave it a link.
  const base = await workspaceWithPipelineRun();
  if (!base) record('links', 'a cached run with artifacts a symlink', 'unclear', 'not run: the uninterrupted pipeline run failed');
  else {
    const { ws, hashes } = base;
    const artifacts = join(ws, 'artifacts');
    const store = join(ws, 'store');
    await rename(artifacts, store);
    await symlink('store', artifacts, 'dir');
    await rm(join(store, 'test', 'fit'), { recursive: true });
    for (const name of ['a run after artifacts became a link', 'a cached run through the link, fit deleted']) {
      if (name.startsWith('a cached')) await rm(join(store, 'test', 'fit'), { recursive: true, force: true });
      const run = await runPipeline(ws, [], {}, PIPELINE_TIMEOUT_MS);
      const link = (await lstat(artifacts)).isSymbolicLink();
      const { differ } = compareTrees(outputsOnly(hashes), outputsOnly(await fileHashes(join(store, 'test'))));
      const problems: string[] = [];
      if (run.exitCode !== 0) problems.push(`exit ${run.exitCode}: ${run.stderr.slice(0, 200)}`);
      if (!link) problems.push('artifacts is no longer a symlink');
      if (differ.length > 0) problems.push(`${differ.length} files in the link's target differ from the run before: ${differ.slice(0, 5).join(', ')}`);
      record(
        'links',
        name,
        problems.length === 0 ? 'ok' : 'silent',
        problems.length === 0 ? 'artifacts still a link; its target holds the same outputs as before' : problems.join('; '),
      );
    }
    // On code that replaces the link with a directory (the fault), that directory goes; the store comes back.
    await rm(artifacts, { recursive: !(await lstat(artifacts)).isSymbolicLink(), force: true });
    await rename(store, artifacts);
  }
}

// ----- determinism ----------------------------------------------------------------------------------------------------

if (families.has('determinism')) {
  // The same run again in the same place, and in a workspace at a different (deeper) path.
  await rm(join(reference, 'artifacts'), { recursive: true, force: true });
  const elsewhere = await makeWorkspace(join(scratch, 'somewhere', 'else', 'entirely', 'checkout'));
  for (const [name, ws] of [
    ['the same run again in the same place', reference],
    ['a checkout at a different path', elsewhere],
  ] as const) {
    const chain = await runChain(ws, 'test', baseConfig);
    if (chain.failed) {
      record('determinism', name, 'unclear', `failed at ${chain.step}: ${chain.failed.stderr.slice(0, 200)}`);
      continue;
    }
    const { same, differ } = compareTrees(referenceHashes, await fileHashes(join(ws, 'artifacts', 'test')));
    record(
      'determinism',
      name,
      differ.length === 0 ? 'ok' : 'silent',
      differ.length === 0 ? `all ${same} files under artifacts/test byte-identical` : `${same} files identical, ${differ.length} differ: ${differ.join(', ')}`,
    );
  }
}

// ----- report ---------------------------------------------------------------------------------------------------------

const outcomes: Outcome[] = ['clear', 'late', 'unclear', 'oversized', 'stack', 'hang', 'silent', 'ok'];
const lines = ['', `| family | cases | ${outcomes.join(' | ')} | seconds |`, `|---|---|${outcomes.map(() => '---').join('|')}|---|`];
for (const family of [...new Set(results.map((r) => r.family)), 'all']) {
  const rows = family === 'all' ? results : results.filter((r) => r.family === family);
  const seconds = family === 'all' ? [...familySeconds.values()].reduce((a, b) => a + b, 0) : (familySeconds.get(family) ?? 0);
  lines.push(`| ${family} | ${rows.length} | ${outcomes.map((o) => rows.filter((r) => r.outcome === o).length).join(' | ')} | ${seconds.toFixed(0)} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
if (args.out) await writeFile(args.out, `${JSON.stringify({ checkout, results }, null, 2)}\n`);
if (!args.keep) await rm(scratch, { recursive: true, force: true });
await stat(checkout); // the checkout itself was never written to
