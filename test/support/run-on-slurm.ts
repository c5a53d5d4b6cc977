import { resolveSlurmSettings } from '../../scripts/slurm/job-settings.ts';
import { runOnSlurm } from '../../scripts/slurm/runner.ts';
import { readTaskGraph } from '../../scripts/slurm/task-graph.ts';

/**
 * `node --import tsx test/support/run-on-slurm.ts <workspace> <nx target> <name>`: the Slurm runner on any Nx
 * target, in a process of its own so a test can interrupt it (SIGINT, as Ctrl-C does). Exits 130 when interrupted,
 * 1 when a task failed.
 */
const [root, target, name] = process.argv.slice(2);
if (!root || !target || !name) throw new Error('usage: run-on-slurm.ts <workspace> <nx target> <name>');
const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const graph = await readTaskGraph(root, target, env);
const report = await runOnSlurm({ root, preset: name, graph, settings: resolveSlurmSettings(undefined, {}), env, pollMs: 500 });
process.exit(report.interrupted ? 130 : report.firstFailure ? 1 : 0);
