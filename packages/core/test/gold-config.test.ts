import { describe, expect, it } from 'vitest';
import { loadPipeline, parsePipeline, workspaceRoot } from '../src/config.ts';
import { goldTrainingPairsBound, nonEmbeddingParameters } from '../src/gold-config-checks.ts';
import { problemsOf } from './config-problems.ts';

const root = workspaceRoot();

/** The test preset with a valid tiny model gold (as test/support/gold-model.ts). */
function modelGold(): Record<string, Record<string, unknown>> {
  const raw = structuredClone(JSON.parse(JSON.stringify(loadPipeline('test', root)))) as Record<string, Record<string, unknown>>;
  raw.models.gold = { layers: 2, dModel: 26, heads: 2, mlpRatio: 2 };
  (raw.pretrain as { sizes: string[] }).sizes.push('gold');
  raw.gold.kind = 'model';
  raw.gold.model = {
    size: 'gold',
    prompts: 32,
    temperatures: [0.7, 1.3],
    responseTokens: [2, 12],
    samplesPerSetting: 2,
    validationFraction: 0.25,
    training: { epochs: 2, batchSize: 16, learningRate: 0.001 },
  };
  return raw;
}

const goldModel = (raw: Record<string, Record<string, unknown>>): Record<string, unknown> => raw.gold.model as Record<string, unknown>;

describe('gold config', () => {
  it('quick and paper use a model gold, test the lexicon', () => {
    expect(loadPipeline('quick', root).gold.kind).toBe('model');
    expect(loadPipeline('paper', root).gold.kind).toBe('model');
    expect(loadPipeline('test', root).gold.kind).toBe('lexicon');
    expect(parsePipeline(modelGold()).gold.model?.scoringBatchSize).toBe(256);
  });

  it('names the allowed kinds', () => {
    const raw = modelGold();
    raw.gold.kind = 'neural';
    expect(problemsOf(raw)).toContain('field "gold.kind": got "neural"; allowed values: "model", "lexicon"');
  });

  it('requires gold.model for a model gold and refuses it for a lexicon gold', () => {
    const missing = modelGold();
    delete missing.gold.model;
    expect(problemsOf(missing)).toEqual([
      'field "gold.model": got undefined; is required when gold.kind is "model" (the gold RM: size, prompts, temperatures, responseTokens, training); or set gold.kind to "lexicon"',
    ]);
    const extra = modelGold();
    extra.gold.kind = 'lexicon';
    expect(problemsOf(extra)[0]).toMatch(/^field "gold\.model": .*is read only when gold\.kind is "model"/);
  });

  it('wants a pretrained gold RM of its own, at least twice every proxy', () => {
    const unknown = modelGold();
    goldModel(unknown).size = 'huge';
    expect(problemsOf(unknown)).toEqual(['field "gold.model.size": got "huge"; no model size named "huge"; defined in "models": tiny, small, gold']);
    const shared = modelGold();
    goldModel(shared).size = 'small';
    expect(problemsOf(shared)).toEqual([
      'field "gold.model.size": got "small"; is also a proxy size: the gold RM starts from its own pretrained LM, which no proxy may share; define a larger size for the gold in "models" and list it in pretrain.sizes',
      'field "gold.model.size": got "small"; the gold RM must have at least 2× the non-embedding parameters of every proxy; proxy size "small" has 4920, so the gold needs 9840; "small" has 4920',
    ]);
    const tooSmall = modelGold();
    // Twice the blocks of "small" but not its final LayerNorm: just under 2× its non-embedding parameters.
    (tooSmall.models as Record<string, unknown>).gold = { layers: 2, dModel: 24, heads: 2, mlpRatio: 2 };
    expect(problemsOf(tooSmall)).toEqual([
      'field "gold.model.size": got "gold"; the gold RM must have at least 2× the non-embedding parameters of every proxy; proxy size "small" has 4920, so the gold needs 9840; "gold" has 9792',
    ]);
    const extraSeedSize = modelGold();
    (extraSeedSize.proxy as { grid: Record<string, unknown> }).grid.extraSeeds = { sizes: ['gold'], seeds: [1] };
    expect(problemsOf(extraSeedSize)).toContain(
      'field "gold.model.size": got "gold"; is also a proxy size: the gold RM starts from its own pretrained LM, which no proxy may share; define a larger size for the gold in "models" and list it in pretrain.sizes',
    );
    const notPretrained = modelGold();
    (notPretrained.pretrain as { sizes: string[] }).sizes = ['tiny', 'small'];
    expect(problemsOf(notPretrained)).toContain(
      'field "gold.model.size": got "gold"; the gold RM starts from a pretrained LM, so "gold" must also be listed in pretrain.sizes',
    );
  });

  it("keeps the reader's n-gram codes exact over the vocabulary", () => {
    const fluent = modelGold();
    fluent.gold.fluencyWeight = 0.5;
    fluent.gold.readerOrder = 7;
    expect(problemsOf(fluent)).toEqual([
      'field "gold.readerOrder": got 7; tokenizer.vocabSize (320) to the power readerOrder exceeds 2^53, so the reader\'s n-gram codes would not be exact; lower gold.readerOrder',
    ]);
    fluent.gold.readerOrder = 6;
    expect(parsePipeline(fluent).gold.readerOrder).toBe(6);
    // Unread when the fluency term is off.
    fluent.gold.fluencyWeight = 0;
    fluent.gold.readerOrder = 8;
    expect(parsePipeline(fluent).gold.readerOrder).toBe(8);
  });

  it("sizes quick and paper's gold RMs at twice their largest proxy, from an LM no proxy uses", () => {
    for (const preset of ['quick', 'paper']) {
      const config = loadPipeline(preset, root);
      const gold = config.gold.model?.size ?? '';
      expect(config.proxy.grid.sizes, preset).not.toContain(gold);
      expect(config.pretrain.sizes, preset).toContain(gold);
      const most = Math.max(...config.proxy.grid.sizes.map((size) => nonEmbeddingParameters(config.models[size])));
      expect(nonEmbeddingParameters(config.models[gold]) / most, preset).toBeGreaterThanOrEqual(2);
    }
  });

  it('wants more comparisons than any proxy sees, on prompts label does not hold out, and lengths that fit', () => {
    const few = modelGold();
    goldModel(few).prompts = 2;
    expect(goldTrainingPairsBound(parsePipeline(modelGold()))).toBe(24 * 28);
    expect(problemsOf(few)).toEqual([
      'field "gold.model.prompts": got 2; gives at most 28 training comparisons; the gold RM must train on more than any proxy (60): raise gold.model.prompts or the samples per prompt',
    ]);
    const many = modelGold();
    goldModel(many).prompts = 33;
    expect(problemsOf(many)).toEqual([
      'field "gold.model.prompts": got 33; must be ≤ prompts.count − label.evalPrompts (32): the gold RM never trains on the evaluation prompts',
    ]);
    const long = modelGold();
    goldModel(long).responseTokens = [2, 12, 48];
    expect(problemsOf(long)).toEqual([
      'field "gold.model.responseTokens": got [2,12,48]; the longest (48) leaves no room for a prompt in pretrain.contextLength (48)',
    ]);
    const repeated = modelGold();
    goldModel(repeated).temperatures = [1, 1];
    expect(problemsOf(repeated)).toEqual(['field "gold.model.temperatures": got [1,1]; lists a value twice']);
  });
});
