import { describe, expect, it } from 'vitest';
import { loadPipeline, parsePipeline, workspaceRoot } from '../src/config.ts';
import { combineMembers, scoreSpread, standardiseMember } from '../src/ensemble-objective.ts';
import { pipelineTasks } from '../src/pipeline/plan.ts';
import { problemsOf } from './config-problems.ts';

const root = workspaceRoot();

/** The test preset with three seeds at tiny-n20 and the sources given. */
function withSources(sources: unknown, edit: (raw: Record<string, Record<string, unknown>>) => void = () => {}): Record<string, Record<string, unknown>> {
  const raw = structuredClone(JSON.parse(JSON.stringify(loadPipeline('test', root)))) as Record<string, Record<string, unknown>>;
  (raw.proxy.grid as Record<string, unknown>).extraSeeds = { sizes: ['tiny'], seeds: [1, 2] };
  raw.sources = sources as Record<string, unknown>;
  edit(raw);
  return raw;
}

const members = { size: 'tiny', comparisons: 20, seeds: [0, 1, 2] };

describe('ensemble objectives against brute force', () => {
  // Small arrays of three members' scores of five samples, with ties and negatives.
  const scores = [
    [0.5, -1, 2, 0, 3],
    [1.5, -1, -2, 0, 1],
    [-0.5, 2, 0.5, 0, 1],
  ];
  const column = (i: number): number[] => scores.map((m) => m[i]);

  it('mean, worst and uncertainty (mean − λ·population variance) per sample', () => {
    for (let i = 0; i < 5; i++) {
      const xs = column(i);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
      expect(combineMembers('mean', scores)[i]).toBeCloseTo(mean, 12);
      expect(combineMembers('worst', scores)[i]).toBe(Math.min(...xs));
      expect(combineMembers('uncertainty', scores, 0.7)[i]).toBeCloseTo(mean - 0.7 * variance, 12);
    }
  });

  it('one member is the member itself for every objective; UWO with λ 0 is the mean', () => {
    for (const objective of ['mean', 'worst', 'uncertainty'] as const) expect([...combineMembers(objective, [scores[0]], 2)]).toEqual(scores[0]);
    expect([...combineMembers('uncertainty', scores, 0)]).toEqual([...combineMembers('mean', scores)]);
  });

  it('refuses members of different lengths and an ensemble of none', () => {
    expect(() => combineMembers('mean', [[1, 2], [1]])).toThrow(/member 1 scored 1 samples, member 0 scored 2/);
    expect(() => combineMembers('mean', [])).toThrow(/at least one member/);
  });

  it('standardises a member by its spread (the sample standard deviation)', () => {
    const xs = [1, 2, 3, 4];
    const sd = Math.sqrt(((1.5 ** 2 + 0.5 ** 2) * 2) / 3);
    expect(scoreSpread(xs)).toBeCloseTo(sd, 12);
    expect([...standardiseMember(xs, sd)]).toEqual(xs.map((x) => x / sd));
    expect(() => standardiseMember(xs, 0)).toThrow(/positive and finite/);
  });
});

describe('sources in the pipeline file', () => {
  it('accepts ensembles, and bon.proxies and ppo.proxies may name them', () => {
    const raw = withSources({ 'tiny-uwo': { kind: 'ensemble', members, objective: 'uncertainty', lambda: 0.5 } }, (r) => {
      r.bon.proxies = ['tiny-n20-s0', 'tiny-uwo'];
      r.ppo.proxies = ['tiny-uwo'];
    });
    const config = parsePipeline(raw, 'x.json');
    expect(config.sources?.['tiny-uwo']).toEqual({ kind: 'ensemble', members, objective: 'uncertainty', lambda: 0.5 });
  });

  it('names the field and the allowed values of a wrong kind, objective or member', () => {
    expect(problemsOf(withSources({ ens: { kind: 'soup', members, objective: 'mean' } }))).toEqual([
      'field "sources.ens.kind": got "soup"; "kind" must be one of "ensemble", "weightAverage"',
    ]);
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members, objective: 'median' } }))).toEqual([
      'field "sources.ens.objective": got "median"; allowed values: "mean", "worst", "uncertainty"',
    ]);
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members: { ...members, size: 'huge' }, objective: 'mean' } }))).toEqual([
      'field "sources.ens.members.size": got "huge"; not a size of proxy.grid.sizes (tiny, small)',
    ]);
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members: { ...members, comparisons: 30, seeds: [0, 3, 0] }, objective: 'mean' } }))).toEqual([
      'field "sources.ens.members.comparisons": got 30; not a count of proxy.grid.comparisons (20, 60)',
      'field "sources.ens.members.seeds.1": got 3; size "tiny" has no proxy of seed 3 in proxy.grid (seeds 0, 1, 2)',
      'field "sources.ens.members.seeds.2": got 0; seed 0 is listed twice',
    ]);
  });

  it('asks for λ exactly with UWO, refuses a cell-shaped name and one member, and checks the names runs use', () => {
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members, objective: 'uncertainty' } }))).toEqual([
      'field "sources.ens.objective": got "uncertainty"; needs "lambda", a number > 0: the objective is mean − lambda·variance across members',
    ]);
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members, objective: 'worst', lambda: 1 } }))).toEqual([
      'field "sources.ens.lambda": got 1; only objective "uncertainty" reads lambda; objective is "worst"',
    ]);
    expect(problemsOf(withSources({ 'tiny-n20-s9': { kind: 'ensemble', members, objective: 'mean' } }))).toEqual([
      `field "sources.tiny-n20-s9": got ${JSON.stringify({ kind: 'ensemble', members, objective: 'mean' })}; the name has the form of a cell name (<size>-n<comparisons>-s<seed>); give the source another name`,
    ]);
    expect(problemsOf(withSources({ ens: { kind: 'ensemble', members: { ...members, seeds: [0] }, objective: 'mean' } }))).toEqual([
      'field "sources.ens.members.seeds": got [0]; must be ≥ 2 items',
    ]);
    const problems = problemsOf(withSources({ ens: { kind: 'ensemble', members, objective: 'mean' } }, (r) => (r.ppo.proxies = ['ensx'])));
    expect(problems).toEqual([
      expect.stringMatching(/^field "ppo\.proxies\.0": got "ensx"; not a cell of proxy\.grid or a source of "sources"; they are .*tiny-n20-s2, .*ens$/),
    ]);
  });
});

describe('the plan of a preset with an ensemble', () => {
  const raw = withSources({ 'tiny-wco': { kind: 'ensemble', members, objective: 'worst' } }, (r) => {
    r.bon.proxies = ['small-n20-s0', 'tiny-wco'];
    r.ppo.proxies = ['tiny-wco'];
  });
  const tasks = pipelineTasks('test', raw);

  it('scores the pool with each member once and never with the ensemble', () => {
    const scorings = tasks.filter((t) => t.entry === 'bonScore').map((t) => t.unit);
    expect(scorings).toEqual(['small-n20-s0', 'tiny-n20-s0', 'tiny-n20-s1', 'tiny-n20-s2']);
  });

  it('runs PPO against the ensemble after its members, named by the source', () => {
    const [run] = tasks.filter((t) => t.entry === 'ppoRun');
    expect(run.unit).toBe('tiny-wco-kl0-small');
    const members = tasks.filter((t) => t.entry === 'proxyCell' && t.unit?.startsWith('tiny-n20-')).map((t) => t.id);
    expect(members).toHaveLength(3);
    for (const id of members) expect(run.upstream).toContain(id);
    expect(run.upstream.filter((id) => id.startsWith('proxy--'))).toHaveLength(3);
  });
});

describe('the plan of a preset with a weight average', () => {
  const raw = withSources({ 'tiny-warm': { kind: 'weightAverage', members } }, (r) => {
    r.bon.proxies = ['tiny-warm'];
    r.ppo.proxies = ['tiny-warm'];
  });
  const tasks = pipelineTasks('test', raw);
  const [average] = tasks.filter((t) => t.entry === 'proxyAverage');

  it('averages the members in one task of its own, after them', () => {
    expect(average.id).toBe('proxy--test--tiny-warm:average');
    expect(average.command).toBe('node --import tsx packages/proxy/src/average-cli.ts --preset test --average tiny-warm');
    expect(average.upstream.filter((id) => id.startsWith('proxy--')).sort()).toEqual(
      ['proxy--test--tiny-n20-s0:train', 'proxy--test--tiny-n20-s1:train', 'proxy--test--tiny-n20-s2:train'].sort(),
    );
  });

  it('scores the pool once with the averaged model, and PPO loads that model, not the members', () => {
    const scorings = tasks.filter((t) => t.entry === 'bonScore');
    expect(scorings.map((t) => t.unit)).toEqual(['tiny-warm']);
    expect(scorings[0].upstream).toContain(average.id);
    expect(scorings[0].upstream.some((id) => id.startsWith('proxy--test--tiny-n20-'))).toBe(false);
    const [run] = tasks.filter((t) => t.entry === 'ppoRun');
    expect(run.unit).toBe('tiny-warm-kl0-small');
    expect(run.upstream).toContain(average.id);
    expect(run.upstream.some((id) => id.startsWith('proxy--test--tiny-n20-'))).toBe(false);
  });

  it('is planned only when declared: the test preset as shipped has no average task', () => {
    const shipped = JSON.parse(JSON.stringify(loadPipeline('test', root))) as unknown;
    expect(pipelineTasks('test', shipped).some((t) => t.entry === 'proxyAverage')).toBe(false);
  });
});
