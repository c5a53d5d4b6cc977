import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findSource,
  loadPipeline,
  memberNames,
  openStage,
  stageConfig,
  stageName,
  stageOutputDir,
  workspaceRoot,
  writeStageOutput,
  type Manifest,
} from '@goodhart/core';
import { CONFIG_FILE, encodeTensors, engineCodeVersion, initEngine, loadCheckpoint, readCheckpoint, WEIGHTS_FILE, type ComputeOptions } from '@goodhart/model';
import { openLabelArtifacts } from './comparisons-data.ts';
import { centeringShift } from './stage.ts';
import { averageWeights } from './weight-average.ts';

/**
 * A weight-averaged RM (a `weightAverage` source): the elementwise mean of its member cells' weights, centred as a
 * cell is (mean score 0 on label's first centeringSamples samples of the initial policy), written in a cell's
 * layout (model/, reward.json) so best-of-n scores the pool with it once and PPO loads it as one model.
 */
export async function runProxyAverage(
  options: ComputeOptions & { preset: string; source: string; root?: string; log?: (line: string) => void },
): Promise<{ shift: number; manifest: Manifest; outputDir: string }> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const source = findSource(options.source, config);
  if (source?.kind !== 'weightAverage') {
    const averages = Object.entries(config.sources ?? {}).flatMap(([name, s]) => (s.kind === 'weightAverage' ? [name] : []));
    throw new Error(`"${options.source}" is not a weightAverage source of "${config.name}"; its weight averages are: ${averages.join(', ') || '(none)'}`);
  }
  await initEngine(options);
  const labelled = await openLabelArtifacts(root, config.name);
  const members = await Promise.all(memberNames(source).map(async (cell) => openStage(root, config, 'proxyCell', cell)));
  const averaged = averageWeights(await Promise.all(members.map(async (output) => readCheckpoint(join(output.dir, 'model')))));
  const outputDir = stageOutputDir(root, config.name, 'proxyAverage', options.source);
  let shift = Number.NaN;
  const manifest = await writeStageOutput(
    {
      dir: outputDir,
      stage: stageName('proxyAverage'),
      pipeline: config.name,
      config: { ...stageConfig(config, 'proxyAverage'), source: options.source },
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'proxy']),
      upstream: [labelled.output.ref(), ...members.map((m) => m.ref())],
    },
    async (staging) => {
      const modelDir = join(staging, 'model');
      await mkdir(modelDir, { recursive: true });
      await writeFile(join(modelDir, WEIGHTS_FILE), encodeTensors(averaged.weights));
      await writeFile(join(modelDir, CONFIG_FILE), `${JSON.stringify(averaged.config, null, 2)}\n`);
      const model = await loadCheckpoint(modelDir);
      shift = centeringShift(model, labelled, config.proxy.training);
      model.dispose();
      await writeFile(
        join(staging, 'reward.json'),
        `${JSON.stringify({ source: options.source, members: memberNames(source), shift, usage: "proxy score = model reward + shift; the model is the elementwise mean of the members' weights" }, null, 2)}\n`,
      );
      log(`proxy ${options.source}: weight average of ${memberNames(source).join(', ')}, shift ${shift.toFixed(4)}`);
    },
  );
  return { shift, manifest, outputDir };
}
