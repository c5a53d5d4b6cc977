import { createNodes } from './tools/nx-plugin/plugin.ts';
import { readFileSync } from 'node:fs';
const files = process.argv.slice(2);
const r = await (createNodes[1] as any)(files, {}, { workspaceRoot: process.cwd(), nxJsonConfiguration: JSON.parse(readFileSync('nx.json','utf8')) });
for (const [f, n] of r) console.log(f, Object.keys(n.projects).filter(k=>!k.startsWith('packages')).slice(0,3));
