import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KL_COEFFICIENTS, parsePipeline, pipelineTasks, ppoRuns, runName, STAGES, workspaceRoot } from '../src/index.ts';

const root = workspaceRoot();
const raw = JSON.parse(readFileSync(join(root, 'pipelines', 'test.json'), 'utf8')) as Record<string, Record<string, unknown>>;

/** The test preset with its PPO sweep's lists as given (undefined: left out of the file). */
function withSweep(klCoefficients: number[] | undefined, policies: string[] | undefined): Record<string, Record<string, unknown>> {
  const copy = structuredClone(raw);
  const { klCoefficients: _k, policies: _p, ...ppo } = copy.ppo;
  copy.ppo = { ...ppo, ...(klCoefficients && { klCoefficients }), ...(policies && { policies }) };
  copy.policy = { ...copy.policy, sizes: ['tiny', 'small'] };
  return copy;
}

/** The PPO runs the planner makes tasks of (from the raw file), by name. */
function plannedRuns(config: unknown): string[] {
  const prefix = `ppo:test--`;
  return pipelineTasks('test', config)
    .filter((t) => t.entry === 'ppoRun')
    .map((t) => `${t.alias?.project}:${t.alias?.target}`.slice(prefix.length));
}

describe('the PPO sweep lists have one default each, which the schema and the planner both apply', () => {
  it('a parsed config carries both lists: β_KL 0 and every policy size when the file leaves them out', () => {
    const config = parsePipeline(withSweep(undefined, undefined));
    expect(config.ppo?.klCoefficients).toEqual([0]);
    expect(DEFAULT_KL_COEFFICIENTS).toEqual([0]);
    expect(config.ppo?.policies).toEqual(['tiny', 'small']);
    const given = parsePipeline(withSweep([0.5, 1], ['small']));
    expect([given.ppo?.klCoefficients, given.ppo?.policies]).toEqual([[0.5, 1], ['small']]);
  });

  it('the planner, reading the raw file, plans exactly the runs of the parsed config', () => {
    for (const [kl, policies] of [
      [undefined, undefined],
      [[0, 0.05], undefined],
      [undefined, ['tiny']],
      [[0.5], ['small', 'tiny']],
    ] as const) {
      const file = withSweep(kl && [...kl], policies && [...policies]);
      expect(plannedRuns(file), JSON.stringify({ kl, policies })).toEqual(ppoRuns(parsePipeline(file)).map(runName));
    }
    expect(plannedRuns(withSweep(undefined, undefined))).toEqual(['tiny-n20-s0-kl0-tiny', 'tiny-n20-s0-kl0-small']);
  });

  it('fit hashes no PPO sweep list: a run names its proxy, policy and β_KL in its rows', () => {
    expect(STAGES.fit.fields.filter((f) => f.startsWith('ppo'))).toEqual([]);
  });
});
