import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineMembers, loadPipeline, openStage, readParquetFile, standardiseMember, tableRows } from '@goodhart/core';
import { initEngine, readProxyCell } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyAverage, runProxyCell } from '@goodhart/proxy';
import { readCenteringSamples, runReward } from '../src/policy-training.ts';
import { rewardScale } from '../src/reward-normalisation.ts';
import { runPpoRun } from '../src/stage.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
const PRESET = 'ps';
const members = ['tiny-n20-s0', 'tiny-n20-s1'];
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    c.proxy.grid = { sizes: ['tiny'], comparisons: [20], seeds: [0, 1] };
    const ensemble = { size: 'tiny', comparisons: 20, seeds: [0, 1] };
    c.sources = {
      'tiny-uwo': { kind: 'ensemble', members: ensemble, objective: 'uncertainty', lambda: 0.5 },
      'tiny-warm': { kind: 'weightAverage', members: ensemble },
    };
    Object.assign(c.ppo, { proxies: ['tiny-uwo', 'tiny-warm'], iterations: 2 });
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
  for (const cell of members) await runProxyCell({ preset: PRESET, cell, backend: 'wasm', root, log: quiet });
  await runProxyAverage({ preset: PRESET, source: 'tiny-warm', backend: 'wasm', root, log: quiet });
});

describe('PPO against an ensemble', () => {
  it("optimises the objective of the members' standardised scores, per sample", async () => {
    const config = loadPipeline(PRESET, root);
    const label = await openStage(root, config, 'label');
    const centering = await readCenteringSamples(label, config);
    const proxies = await Promise.all(members.map(async (cell) => readProxyCell(await openStage(root, config, 'proxyCell', cell))));
    const models = await Promise.all(proxies.map(async (p) => ({ model: await p.loadRewardModel(), shift: p.shift })));
    const prompts = centering.map((s) => s.promptTokens);
    const responses = centering.map((s) => s.responseTokens);
    const singles = models.map((m) => runReward(config, m, centering));
    const ensemble = runReward(config, { members: models, objective: 'uncertainty', lambda: 0.5 }, centering);
    // By hand: each member's centred score over its spread on the centring samples, then mean − λ·variance.
    const expected = combineMembers(
      'uncertainty',
      singles.map((s) => standardiseMember(s.proxyScore(prompts, responses), rewardScale(s.proxyScore(prompts, responses)))),
      0.5,
    );
    const got = ensemble.proxyScore(prompts, responses);
    expected.forEach((value, i) => expect(got[i]).toBeCloseTo(value, 5));
    // What PPO optimises is that score over its own spread, as a single proxy's is.
    expect(ensemble.scale).toBeCloseTo(rewardScale(expected), 5);
    for (const m of models) m.model.dispose();
  });

  it('a run against the ensemble reads both members and is named by the source', async () => {
    const result = await runPpoRun({ preset: PRESET, run: 'tiny-uwo-kl0-small', backend: 'wasm', root, log: quiet });
    const manifest = JSON.parse(await readFile(join(result.outputDir, 'manifest.json'), 'utf8')) as { upstream: { dir: string }[] };
    const upstreamDirs = manifest.upstream.map((u) => u.dir);
    for (const cell of members) expect(upstreamDirs.some((dir) => dir.endsWith(`cells/${cell}`))).toBe(true);
    const curve = tableRows(await readParquetFile(join(result.outputDir, 'curve.parquet')));
    expect(curve.every((r) => r.proxy === 'tiny-uwo')).toBe(true);
  });

  it('a run against a weight average loads the averaged model alone', async () => {
    const result = await runPpoRun({ preset: PRESET, run: 'tiny-warm-kl0-small', backend: 'wasm', root, log: quiet });
    const manifest = JSON.parse(await readFile(join(result.outputDir, 'manifest.json'), 'utf8')) as { upstream: { dir: string }[] };
    const upstreamDirs = manifest.upstream.map((u) => u.dir);
    expect(upstreamDirs.filter((dir) => dir.includes('/proxy/'))).toEqual([`${PRESET}/proxy/sources/tiny-warm`]);
  });
});
