import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline, workspaceRoot } from '../src/config.ts';
import { problemsOf } from './config-problems.ts';

const root = workspaceRoot();

function validRaw(): Record<string, unknown> {
  return structuredClone(JSON.parse(JSON.stringify(loadPipeline('test', root)))) as Record<string, unknown>;
}

describe('pipeline config validation', () => {
  it('loads every preset shipped in pipelines/', () => {
    for (const preset of ['test', 'quick', 'paper']) expect(loadPipeline(preset, root).name).toBe(preset);
  });

  it('names the field, the value and the expected type for a wrong type', () => {
    const raw = validRaw();
    (raw.pretrain as Record<string, unknown>).batchSize = '16';
    expect(problemsOf(raw)).toEqual(['field "pretrain.batchSize": got "16"; expected number']);
  });

  it('names an unknown field and lists the allowed ones', () => {
    const raw = validRaw();
    (raw.pretrain as Record<string, unknown>).stepz = 3;
    const [problem] = problemsOf(raw);
    expect(problem).toMatch(/^unknown field "pretrain\.stepz"; allowed here: sizes, contextLength, batchSize, steps/);
  });

  it('names a missing field', () => {
    const raw = validRaw();
    delete (raw.tokenizer as Record<string, unknown>).vocabSize;
    expect(problemsOf(raw)).toEqual(['missing field "tokenizer.vocabSize" (expected number)']);
  });

  it('gives the allowed values and ranges', () => {
    const raw = validRaw();
    (raw.corpus as Record<string, unknown>).source = 'gutenberg';
    (raw.tokenizer as Record<string, unknown>).vocabSize = 100;
    expect(problemsOf(raw)).toEqual(['field "corpus.source": got "gutenberg"; allowed values: "brown"', 'field "tokenizer.vocabSize": got 100; must be ≥ 257']);
  });

  it('checks references between fields', () => {
    const raw = validRaw();
    (raw.pretrain as Record<string, unknown>).sizes = ['tiny', 'huge'];
    const models = raw.models as Record<string, Record<string, unknown>>;
    models.tiny.heads = 3;
    const problems = problemsOf(raw);
    expect(problems).toContain('field "models.tiny.heads": got 3; must divide dModel (16)');
    expect(problems).toContain('field "pretrain.sizes.1": got "huge"; no model size named "huge"; defined in "models": tiny, small');
  });

  it('checks the PPO section against the grid, the policies and the evaluation prompts', () => {
    const raw = validRaw();
    const ppo = raw.ppo as Record<string, unknown>;
    ppo.proxies = ['tiny-n999-s0'];
    ppo.policies = ['tiny'];
    ppo.minibatches = 3;
    ppo.learningRateSchedule = 'cosine';
    (ppo.eval as Record<string, unknown>).prompts = 1000;
    const problems = problemsOf(raw);
    expect(problems).toContain('field "ppo.learningRateSchedule": got "cosine"; allowed values: "constant", "linear"');
    expect(problemsOf({ ...raw, ppo: { ...ppo, learningRateSchedule: 'linear' } })).toEqual([
      'field "ppo.proxies.0": got "tiny-n999-s0"; not a cell of proxy.grid; cells are tiny-n20-s0, tiny-n60-s0, small-n20-s0, small-n60-s0',
      'field "ppo.policies.0": got "tiny"; not in policy.sizes (small)',
      'field "ppo.eval.prompts": got 1000; must be ≤ label.evalPrompts (8)',
      'field "ppo.minibatches": got 3; must divide ppo.batchSize (8)',
    ]);
  });

  it('reports unreadable files with their path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goodhart-config-'));
    await mkdir(join(dir, 'pipelines'));
    await writeFile(join(dir, 'pipelines', 'broken.json'), '{ "name": "broken", ');
    expect(() => loadPipeline('broken', dir)).toThrow(/invalid pipeline config .*broken\.json:\n {2}- not valid JSON/);
    expect(() => loadPipeline('absent', dir)).toThrow(/absent\.json:\n {2}- file not found/);
    const raw = { ...validRaw(), name: 'other' };
    await writeFile(join(dir, 'pipelines', 'mismatch.json'), JSON.stringify(raw));
    expect(() => loadPipeline('mismatch', dir)).toThrow(/must equal the file name "mismatch"/);
  });
});
