import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import {
  ConfigError,
  formatDuration,
  loadPipeline,
  LONE_THREADS_ENV,
  parseSeedList,
  parseSeedVariant,
  presetAtSeed,
  SEEDS_ENV,
  STAGES,
  stageOutputDir,
  taskCommandName,
  taskNames,
  workspaceRoot,
  type PipelineConfig,
} from '@goodhart/core';
import { parseBackendChoice, parseEngineChoice, parsePrecision, pipelineThreads } from '@goodhart/model';
import { runPipelineOnSlurm } from './slurm/pipeline-on-slurm.ts';
import { reportAcrossSeeds, type SeedTiming } from './seeds-report.ts';
import { parseTaskGraph } from './slurm/task-graph.ts';
import { StopOnSignal } from './stop-on-signal.ts';
import { checkWritable } from './writable-artifacts.ts';

/** Stops Nx and its tasks on Ctrl-C or `kill`, then exits with 128 + the signal's number. */
const stopOnSignal = new StopOnSignal((line) => process.stderr.write(`\n${line}\n`));

/**
 * Runs Nx with this Node, not through npx (one process less between a signal and Nx), in a process group of its own
 * so that only this process signals it (a terminal's Ctrl-C reaches Nx once, forwarded, not twice).
 */
function runNx(root: string, args: string[], env: Record<string, string>, stdout: 'pipe' | 'ignore') {
  return stopOnSignal.watch(
    execa(process.execPath, [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdin: 'ignore',
      stdout,
      stderr: 'inherit',
      buffer: false,
      detached: true,
    }),
  );
}

/**
 * `npm run pipeline [-- --preset paper]`: runs every stage of a preset through Nx in one invocation (`fit:P`, which
 * depends on everything else), so independent tasks share the cores (best-of-n sampling beside proxy training, PPO
 * runs beside best-of-n scoring) and tasks whose inputs did not change are restored from the cache. Prints a line
 * per task as Nx starts it, then where the report is and what it found.
 */
/**
 * How many tasks `nx run <task>` runs: read from Nx's own task graph (`--graph`), which runs nothing, without the
 * no-op aliases (`fit:pipeline-P` stands for `fit--P:run`), which Nx does not announce.
 */
async function taskCount(root: string, task: string, env: Record<string, string>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'goodhart-graph-'));
  try {
    const file = join(dir, 'graph.json');
    await runNx(root, ['run', task, `--graph=${file}`], env, 'ignore');
    return parseTaskGraph(JSON.parse(await readFile(file, 'utf8'))).tasks.length;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A mistake in the command line or the environment: printed as its message alone. */
class UsageError extends Error {}

/** Runs a parser of flags or environment, turning what it throws into a UsageError. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function usageAsync(check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      options: {
        preset: { type: 'string', default: 'quick' },
        engine: { type: 'string' },
        backend: { type: 'string' },
        precision: { type: 'string' },
        parallel: { type: 'string', default: '2' },
        'skip-cache': { type: 'boolean', default: false },
        executor: { type: 'string', default: 'local' },
        // Slurm job settings (override the pipeline file's "slurm" section); see docs/slurm.md.
        partition: { type: 'string' },
        time: { type: 'string' },
        cpus: { type: 'string' },
        mem: { type: 'string' },
        'sbatch-arg': { type: 'string', multiple: true },
        retries: { type: 'string', default: '1' },
        // Pipeline seeds to run the preset at, one after another, then the cross-seed report (docs/seeds.md).
        seeds: { type: 'string' },
      },
    }),
  );
  if (values.executor !== 'local' && values.executor !== 'slurm') {
    throw new UsageError(`--executor: got ${JSON.stringify(values.executor)}; allowed: local, slurm`);
  }
  const root = workspaceRoot();
  const config = loadPipeline(values.preset, root); // fail on a bad config before Nx starts
  const seeds = values.seeds === undefined ? undefined : usage(() => parseSeedList(values.seeds ?? '', '--seeds'));
  if (seeds && parseSeedVariant(config.name)) throw new UsageError(`--seeds: give a preset, not the seed variant ${JSON.stringify(config.name)}`);
  if (seeds && values.executor === 'slurm')
    throw new UsageError('--seeds: not supported with --executor slurm yet; run one seed variant per call (--preset <preset>@s<seed>)');
  // The seed variants to run, in the order given; the one at the preset's own seed is the preset itself.
  const names = seeds ? seeds.map((seed) => presetAtSeed(config.name, config.seed, seed)) : [config.name];
  const env: Record<string, string> = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  // The Nx plugin plans a variant's projects only when asked (seed-variant.ts); the same list for every Nx call.
  const variants = names.filter((name) => parseSeedVariant(name) !== undefined);
  if (variants.length > 0) env[SEEDS_ENV] = variants.join(',');
  // Checked here, from the flag or the environment, so a bad choice stops before Nx starts, not in every task.
  const engine = usage(() => parseEngineChoice(values.engine ?? process.env.GOODHART_ENGINE));
  const backend = usage(() => parseBackendChoice(values.backend ?? process.env.GOODHART_BACKEND));
  if (values.engine) env.GOODHART_ENGINE = engine;
  if (values.backend) env.GOODHART_BACKEND = backend;
  if (values.precision) env.GOODHART_PRECISION = usage(() => parsePrecision(values.precision, '--precision') ?? 'fp32');
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel: got ${JSON.stringify(values.parallel)}; must be a positive integer`);
  // Nx runs `parallel` tasks at once; each native-engine task threads over its share of the cores (or the user's
  // GOODHART_THREADS), and a task nothing can run beside (marked alone by the Nx plugin) over every thread the pipeline
  // has: all the cores, or `parallel` × the user's GOODHART_THREADS (see pipelineThreads).
  const threads = usage(() => pipelineThreads({ parallel, userThreads: process.env.GOODHART_THREADS }));
  env.GOODHART_THREADS = String(threads.threads);
  env[LONE_THREADS_ENV] = String(threads.loneThreads);
  for (const name of names) await usageAsync(() => checkWritable(join(root, 'artifacts', name)));
  if (seeds) {
    const timings: SeedTiming[] = [];
    for (const [i, name] of names.entries()) {
      process.stdout.write(`\n[pipeline] seed ${seeds[i]} (${i + 1}/${names.length}): preset "${name}"\n`);
      const started = performance.now();
      await runLocal(root, loadPipeline(name, root), env, values);
      timings.push({ seed: seeds[i]!, preset: name, seconds: (performance.now() - started) / 1000 });
    }
    await reportAcrossSeeds(root, config.name, timings);
    return;
  }
  if (values.executor === 'slurm') {
    const started = performance.now();
    const elapsed = (): string => formatDuration((performance.now() - started) / 1000);
    if (values['skip-cache']) throw new Error('--skip-cache: not supported with --executor slurm (each job lets Nx decide)');
    // Each job, alone or not, threads over the CPUs Slurm gives it (run-task.ts), unless the user set GOODHART_THREADS.
    delete env.GOODHART_THREADS;
    delete env[LONE_THREADS_ENV];
    const ok = await runPipelineOnSlurm({
      root,
      config,
      env,
      flags: { partition: values.partition, time: values.time, cpus: values.cpus, mem: values.mem, sbatchArgs: values['sbatch-arg'] },
      retries: values.retries,
    });
    if (!ok) process.exit(process.exitCode ?? 1);
    await printFindings(root, config, elapsed());
    return;
  }
  await runLocal(root, config, env, values);
}

/** Runs one preset (or seed variant) through Nx on this machine, printing a line per task and the findings. */
async function runLocal(root: string, config: PipelineConfig, env: Record<string, string>, values: { parallel: string; 'skip-cache': boolean }): Promise<void> {
  const task = taskCommandName(taskNames(STAGES.fit, config.name));
  const total = await taskCount(root, task, env);
  const started = performance.now();
  const elapsed = (): string => formatDuration((performance.now() - started) / 1000);
  process.stdout.write(`pipeline "${config.name}": ${total} tasks through Nx (parallel ${values.parallel}); cached tasks are restored, not rerun\n`);

  const args = ['run', task, '--outputStyle=stream', `--parallel=${values.parallel}`];
  if (values['skip-cache']) args.push('--skip-nx-cache');
  const child = runNx(root, args, env, 'pipe');
  let seen = 0;
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      process.stdout.write(`${line}\n`);
      // Nx announces each task (`> nx run <task>`, with `[local cache]` when restored); noop aliases are not run here.
      const match = /^> nx run (\S+)(.*)$/.exec(stripVTControlCharacters(line).trim());
      if (match) {
        seen += 1;
        const cached = match[2].includes('cache') ? ' (cache)' : '';
        process.stdout.write(`[pipeline] task ${Math.min(seen, total)}/${total}: ${match[1]}${cached} | elapsed ${elapsed()}\n`);
      }
    }
  });
  await child;
  if (pending) process.stdout.write(`${pending}\n`);
  await printFindings(root, config, elapsed());
}

async function printFindings(root: string, config: PipelineConfig, elapsed: string): Promise<void> {
  const reportDir = join(stageOutputDir(root, config.name, 'fit'), 'report');
  const findings = JSON.parse(await readFile(join(reportDir, 'findings.json'), 'utf8')) as { id: number; title?: string; holds: boolean | null }[];
  const mark = (holds: boolean | null): string => (holds === null ? '—' : holds ? '✓' : '✗');
  process.stdout.write(`\nfindings: ${findings.map((f) => `${f.id} ${mark(f.holds)}`).join('  ')}  (✓ holds, ✗ does not, — not testable with this preset)\n`);
  process.stdout.write(
    `pipeline "${config.name}" finished in ${elapsed}\nreport: ${join(reportDir, 'index.html')}\nsummary: ${join(reportDir, 'summary.md')}\n`,
  );
}

main().catch((error: unknown) => {
  if (stopOnSignal.stopping) return; // Nx failed because it was stopped: the signal handler exits
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else if (error instanceof UsageError) process.stderr.write(`pipeline: ${error.message}\n`);
  else if (error instanceof Error && 'exitCode' in error) process.stderr.write(`pipeline stopped: ${error.message.split('\n')[0]}\n`);
  else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
