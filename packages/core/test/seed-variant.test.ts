import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadPipeline, workspaceRoot } from '../src/config.ts';
import { planPipeline } from '../src/pipeline/plan.ts';
import { parseSeedList, parseSeedVariant, presetAtSeed, requestedSeeds, seedVariantName } from '../src/pipeline/seed-variant.ts';

const root = workspaceRoot();

describe('seed variants of a preset', () => {
  it('names and parses <preset>@s<seed>, and nothing else', () => {
    expect(seedVariantName('quick', 2)).toBe('quick@s2');
    expect(parseSeedVariant('quick@s2')).toEqual({ preset: 'quick', seed: 2 });
    expect(parseSeedVariant('mitigations-x@s10')).toEqual({ preset: 'mitigations-x', seed: 10 });
    for (const name of ['quick', 'quick@s', 'quick@s02', 'quick@2', '@s2', 'Quick@s2', 'quick@s2@s3', 'quick@s2147483648']) {
      expect(parseSeedVariant(name)).toBeUndefined();
    }
  });

  it('is the preset itself at its own seed', () => {
    expect(presetAtSeed('quick', 1, 1)).toBe('quick');
    expect(presetAtSeed('quick', 1, 3)).toBe('quick@s3');
  });

  it('parses --seeds: positive integers, each once, with errors naming the flag', () => {
    expect(parseSeedList('1,2,3', '--seeds')).toEqual([1, 2, 3]);
    expect(parseSeedList(' 3, 1 ', '--seeds')).toEqual([3, 1]);
    expect(() => parseSeedList('1,2,1', '--seeds')).toThrow(/^--seeds: seed 1 is given twice in "1,2,1"; list each seed once$/);
    for (const bad of ['0', '-1', '1.5', 'a', '', '1,,2', '01', '2147483648']) {
      expect(() => parseSeedList(bad, '--seeds')).toThrow(/^--seeds: got .*; expected comma-separated positive integers/);
    }
  });

  it('reads the variants asked for one preset from GOODHART_SEEDS', () => {
    expect(requestedSeeds('quick@s3,quick@s2,paper@s2,junk', 'quick')).toEqual([2, 3]);
    expect(requestedSeeds(undefined, 'quick')).toEqual([]);
  });

  it("loads as the preset's file with its name and seed, and refuses a variant of a missing preset", () => {
    const preset = loadPipeline('test', root);
    const variant = loadPipeline('test@s2', root);
    expect(variant).toEqual({ ...preset, name: 'test@s2', seed: 2 });
    expect(() => loadPipeline('nosuch@s2', root)).toThrow(ConfigError);
  });

  it('plans its own tasks and outputs, hashing every field but the seed, which its command carries', () => {
    const raw = JSON.parse(readFileSync(join(root, 'pipelines', 'test.json'), 'utf8')) as Record<string, unknown>;
    const preset = planPipeline('test', raw);
    const variant = planPipeline('test@s2', { ...raw, name: 'test@s2', seed: 2 });
    if (!('tasks' in preset) || !('tasks' in variant)) throw new Error('not planned');
    expect(variant.tasks.map((t) => t.id)).toEqual(preset.tasks.map((t) => t.id.replace('--test', '--test@s2')));
    const fit = variant.tasks.find((t) => t.entry === 'fit')!;
    expect(fit).toMatchObject({
      project: 'fit--test@s2',
      output: 'artifacts/test@s2/fit',
      command: 'node --import tsx packages/fit/src/cli.ts --preset test@s2',
    });
    expect(fit.fields).toEqual(preset.tasks.find((t) => t.entry === 'fit')!.fields.filter((f) => f !== 'seed'));
    expect(variant.tasks.every((t) => !t.fields.includes('seed'))).toBe(true);
  });
});
