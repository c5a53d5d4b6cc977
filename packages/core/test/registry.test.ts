import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cellCount,
  cellName,
  cellsOf,
  defineTable,
  downstreamOf,
  loadPipeline,
  parseCellName,
  pickFields,
  pipelineTasks,
  planPipeline,
  readsField,
  runName,
  stageConfig,
  STAGES,
  workspaceRoot,
} from '../src/index.ts';

const root = workspaceRoot();
const raw = JSON.parse(readFileSync(join(root, 'pipelines', 'test.json'), 'utf8')) as Record<string, unknown>;

describe('stage registry', () => {
  it('refuses to plan a preset over the grid or run limits before enumerating it (the Nx plugin then skips that preset)', () => {
    const grid = (raw.proxy as { grid: Record<string, unknown> }).grid;
    const sizes = grid.sizes as string[];
    // 12,000 cells; enumerating them would take the plugin (and every Nx command) minutes.
    const huge = {
      ...raw,
      proxy: { ...(raw.proxy as object), grid: { ...grid, comparisons: Array.from({ length: 6000 / sizes.length }, (_, i) => i + 1), seeds: [0, 1] } },
    };
    const plan = planPipeline('test', huge);
    expect(plan).toEqual({ problem: `"proxy.grid" has 12000 cells; at most 256 are allowed` });
    const ppo = raw.ppo as Record<string, unknown>;
    const manyRuns = { ...raw, ppo: { ...ppo, klCoefficients: Array.from({ length: 300 }, (_, i) => i / 100) } };
    expect(planPipeline('test', manyRuns)).toEqual({ problem: expect.stringMatching(/^the PPO sweep has \d+ runs; at most 256 are allowed$/) });
    expect('tasks' in planPipeline('test', raw)).toBe(true);
  });

  it('spells cell and run names one way, and parses what it spells', () => {
    const cell = { size: 'x-s', comparisons: 500, seed: 3 };
    expect(cellName(cell)).toBe('x-s-n500-s3');
    expect(parseCellName(cellName(cell))).toEqual(cell);
    expect(parseCellName('x-n5')).toBeUndefined();
    expect(runName({ cell: 'x-n5-s0', klCoefficient: 0.03, policy: 'm' })).toBe('x-n5-s0-kl0p03-m');
  });

  it('lists the cells of a grid with extra seeds: sizes in file order, then comparisons, then base and extra seeds', () => {
    const grid = { sizes: ['xs', 'm', 'xl'], comparisons: [300, 100], seeds: [0], extraSeeds: { sizes: ['xl', 'xs'], seeds: [2, 1] } };
    const expected = [
      ...['xs-n300-s0', 'xs-n300-s2', 'xs-n300-s1', 'xs-n100-s0', 'xs-n100-s2', 'xs-n100-s1'],
      ...['m-n300-s0', 'm-n100-s0'],
      ...['xl-n300-s0', 'xl-n300-s2', 'xl-n300-s1', 'xl-n100-s0', 'xl-n100-s2', 'xl-n100-s1'],
    ];
    expect(cellsOf(grid).map(cellName)).toEqual(expected);
    expect(cellCount(grid)).toBe(expected.length);
    // The paper grid: 5 sizes × 5 counts × 1 seed, plus 2 sizes × 5 counts × 2 extra seeds.
    const paper = {
      sizes: ['xs', 's', 'm', 'l', 'xl'],
      comparisons: [100, 300, 1000, 3000, 10000],
      seeds: [0],
      extraSeeds: { sizes: ['xs', 'xl'], seeds: [1, 2] },
    };
    expect(cellCount(paper)).toBe(45);
    expect(new Set(cellsOf(paper).map(cellName)).size).toBe(45);
    expect(cellsOf({ ...paper, extraSeeds: undefined })).toHaveLength(25);
  });

  it('plans a task per extra cell, upstream of the proxy summary and scored by best-of-n', () => {
    const proxy = raw.proxy as { grid: Record<string, unknown> };
    const withExtra = { ...raw, proxy: { ...proxy, grid: { ...proxy.grid, extraSeeds: { sizes: ['small'], seeds: [3, 4] } } } };
    const tasks = pipelineTasks('test', withExtra);
    const cells = ['tiny-n20-s0', 'tiny-n60-s0', 'small-n20-s0', 'small-n20-s3', 'small-n20-s4', 'small-n60-s0', 'small-n60-s3', 'small-n60-s4'];
    expect(tasks.filter((t) => t.entry === 'proxyCell').map((t) => t.unit)).toEqual(cells);
    expect(tasks.find((t) => t.entry === 'proxySummary')!.upstream).toEqual(cells.map((cell) => `proxy--test--${cell}:train`));
    expect(tasks.filter((t) => t.entry === 'bonScore').map((t) => t.unit)).toEqual(cells);
    expect(tasks.find((t) => t.id === 'proxy--test--small-n60-s4:train')!.command).toBe(
      'node --import tsx packages/proxy/src/cli.ts --preset test --cell small-n60-s4',
    );
    // Sizes outside the grid and seeds the grid already has plan nothing twice (the stage CLIs report them).
    const sloppy = { ...raw, proxy: { ...proxy, grid: { ...proxy.grid, extraSeeds: { sizes: ['small', 'huge', 'small'], seeds: [0, 3, 3] } } } };
    expect(
      pipelineTasks('test', sloppy)
        .filter((t) => t.entry === 'proxyCell')
        .map((t) => t.unit),
    ).toEqual(['tiny-n20-s0', 'tiny-n60-s0', 'small-n20-s0', 'small-n20-s3', 'small-n60-s0', 'small-n60-s3']);
    expect(planPipeline('test', { ...raw, proxy: { ...proxy, grid: { ...proxy.grid, extraSeeds: { sizes: ['small'], seeds: [] } } } })).toEqual({
      problem: '"proxy.grid.extraSeeds.seeds" must be a non-empty array of non-negative integers',
    });
  });

  it('counts the extra cells against the grid limit before enumerating', () => {
    const proxy = raw.proxy as { grid: Record<string, unknown> };
    // 2 sizes × 100 counts × 1 seed = 200 cells, plus 1 size × 100 counts × 1 extra seed = 300.
    const grid = { ...proxy.grid, comparisons: Array.from({ length: 100 }, (_, i) => i + 1) };
    expect('tasks' in planPipeline('test', { ...raw, proxy: { ...proxy, grid } })).toBe(true);
    expect(planPipeline('test', { ...raw, proxy: { ...proxy, grid: { ...grid, extraSeeds: { sizes: ['small'], seeds: [1] } } } })).toEqual({
      problem: '"proxy.grid" has 300 cells; at most 256 are allowed',
    });
  });

  it('picks dotted fields into the nested shape of the config, and knows which edits a field list sees', () => {
    const config = { seed: 1, label: { responseTokens: 12, temperature: 1 }, bon: { pool: { prompts: 4 } } };
    expect(pickFields(config, ['seed', 'label.responseTokens', 'bon.pool', 'absent.field'])).toEqual({
      seed: 1,
      label: { responseTokens: 12 },
      bon: { pool: { prompts: 4 } },
    });
    expect(readsField(['bon.pool'], 'bon.pool.prompts')).toBe(true);
    expect(readsField(['bon.pool.prompts'], 'bon')).toBe(true);
    expect(readsField(['bon.pool'], 'bon.scoring.batchSize')).toBe(false);
    expect(readsField(['label'], 'labelNoise')).toBe(false);
  });

  it("plans the test preset's tasks, each upstream planned before it", () => {
    const tasks = pipelineTasks('test', raw);
    const ids = tasks.map((t) => t.id);
    // pretrain, label, 4 cells + summary, pool + 4 scores + curves, 1 PPO run + summary, 1 DPO run + summary, fit
    expect(tasks).toHaveLength(18);
    tasks.forEach((task, i) => {
      for (const upstream of task.upstream) expect(ids.indexOf(upstream), `${task.id} after ${upstream}`).toBeLessThan(i);
    });
    const run = tasks.find((t) => t.entry === 'ppoRun')!;
    expect(run.upstream).toEqual(['pretrain--test:run', 'label--test:run', 'proxy--test--tiny-n20-s0:train']);
    // Each task is a project of its own, run by users through its alias in the package's project.
    expect(tasks.find((t) => t.entry === 'fit')).toMatchObject({ id: 'fit--test:run', alias: { project: 'fit', target: 'pipeline-test' } });
    expect(run.output).toBe('artifacts/test/ppo/runs/tiny-n20-s0-kl0-small');
    expect(run.command).toBe('node --import tsx packages/ppo/src/cli.ts --preset test --run tiny-n20-s0-kl0-small');
    expect([...downstreamOf(tasks, ['bon--test--pool:sample'])].sort()).toEqual(
      ['bon--test--pool:sample', 'bon--test:run', 'fit--test:run', ...tasks.filter((t) => t.entry === 'bonScore').map((t) => t.id)].sort(),
    );
  });

  it('refuses a preset whose names cannot make task names, naming the field', () => {
    expect(planPipeline('a--b', raw)).toEqual({ problem: expect.stringContaining('"--" separates') });
    expect(planPipeline('t', { ...raw, proxy: { grid: { sizes: ['Tiny'], comparisons: [1], seeds: [0] } } })).toEqual({
      problem: expect.stringContaining('proxy.grid.sizes'),
    });
  });

  it('records in a manifest exactly the fields Nx hashes (PPO runs include gold; best-of-n curves the pool size)', () => {
    const config = loadPipeline('test', root);
    expect(Object.keys(stageConfig(config, 'ppoRun')).sort()).toEqual(['compute', 'gold', 'label', 'ppo', 'proxy', 'seed']);
    expect(stageConfig(config, 'ppoRun').ppo).not.toHaveProperty('proxies');
    // PPO divides the reward by its s.d. over the proxy's centring samples, so their count is hashed.
    expect(stageConfig(config, 'ppoRun').proxy).toEqual({ training: { centeringSamples: config.proxy.training.centeringSamples } });
    expect(STAGES.bonCurves.fields).toContain('bon.pool.samplesPerPrompt');
    expect(stageConfig(config, 'bonCurves')).toMatchObject({ bon: { pool: { samplesPerPrompt: config.bon.pool.samplesPerPrompt } } });
  });
});

describe('declared table columns', () => {
  const table = defineTable('t.parquet', {
    id: { type: 'int32', meaning: 'row id' },
    tokens: { type: 'int32list', meaning: 'tokens' },
    score: { type: 'float64', meaning: 'score' },
  });

  it('round-trips typed rows', () => {
    const rows = [{ id: 1, tokens: [3, 4], score: 0.5 }];
    expect(table.rows(table.fromRows(rows), 't.parquet')).toEqual(rows);
  });

  it('names the file and the column a reader misses or finds mistyped', () => {
    const other = defineTable('t.parquet', { id: { type: 'utf8', meaning: 'row id' } });
    expect(() => other.rows(table.fromRows([]), 'x/t.parquet')).toThrow('x/t.parquet: column "id" is Int32, expected Utf8');
    const missing = defineTable('t.parquet', { gold: { type: 'float64', meaning: 'gold' } });
    expect(() => missing.rows(table.fromRows([]), 'x/t.parquet')).toThrow('x/t.parquet has no column "gold" (gold)');
  });
});
