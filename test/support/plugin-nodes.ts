import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodes } from '../../tools/nx-plugin/plugin.ts';

/**
 * `node --import tsx plugin-nodes.ts <workspace> <pipeline file>...`: the Nx plugin's createNodes on the given files,
 * outside Nx (so its warnings reach stderr); prints the names of the projects it made as a JSON array.
 */
const [workspace, ...files] = process.argv.slice(2);
if (!workspace) throw new Error('usage: plugin-nodes.ts <workspace> <pipeline file>...');
let nxJson = {};
try {
  nxJson = JSON.parse(readFileSync(join(workspace, 'nx.json'), 'utf8')) as object;
} catch {
  // a workspace without nx.json settings
}
const results = await createNodes[1](files, undefined, { workspaceRoot: workspace, nxJsonConfiguration: nxJson } as Parameters<(typeof createNodes)[1]>[2]);
process.stdout.write(`${JSON.stringify(results.flatMap(([, nodes]) => Object.values(nodes.projects ?? {}).map((p) => p.name)))}\n`);
