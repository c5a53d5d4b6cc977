import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { loadPipeline, workspaceRoot, ConfigError } from '@goodhart/core';

/**
 * `npm run pipeline [-- --preset paper]`: runs every stage of a preset through Nx, so stages whose inputs did not
 * change are restored from the cache instead of rerun. Stages are added here as they are built.
 */
const STAGES = ['pretrain', 'label', 'proxy', 'bon'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      backend: { type: 'string' },
      'skip-cache': { type: 'boolean', default: false },
    },
  });
  const root = workspaceRoot();
  const config = loadPipeline(values.preset, root); // fail on a bad config before Nx starts
  const env: Record<string, string> = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
  if (values.backend) env.GOODHART_BACKEND = values.backend;
  const started = performance.now();
  for (const [index, stage] of STAGES.entries()) {
    process.stdout.write(`\n=== stage ${index + 1}/${STAGES.length}: ${stage} (${config.name}) ===\n`);
    const args = ['nx', 'run', `${stage}:${config.name}`, '--outputStyle=stream'];
    if (values['skip-cache']) args.push('--skip-nx-cache');
    await execa('npx', args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\npipeline "${config.name}" finished in ${seconds} s; artifacts in ${root}/artifacts/${config.name}/\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else if (error instanceof Error && 'exitCode' in error) process.stderr.write(`pipeline stopped: ${error.message.split('\n')[0]}\n`);
  else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
