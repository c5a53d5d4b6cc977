import type { z } from 'zod';
import type { ModelSize, PipelineConfig } from './config-schema.ts';

/**
 * Non-embedding parameters of a size's language model: every block (LayerNorms, attention and MLP weights and
 * biases) and the final LayerNorm; the measure scaling laws use, by which the gold RM must be at least
 * GOLD_SIZE_RATIO× every proxy. @goodhart/model's parameterCount builds on it (adding a reward head's d + 1).
 */
export function nonEmbeddingParameters(size: Pick<ModelSize, 'layers' | 'dModel' | 'mlpRatio'>): number {
  const d = size.dModel;
  const hidden = d * size.mlpRatio;
  const perLayer = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * hidden + hidden) + (hidden * d + d);
  return size.layers * perLayer + 2 * d;
}

/**
 * How many times the largest proxy's non-embedding parameters the gold RM must have: the paper's gold (6B) is twice its largest
 * proxy (3B), so overoptimising a proxy is measured by a reward model no proxy can match in capacity.
 */
export const GOLD_SIZE_RATIO = 2;

/** Upper bound on the gold RM's training comparisons: every pair of a training prompt's samples (ties dropped later). */
export function goldTrainingPairsBound(config: Pick<PipelineConfig, 'gold'>): number {
  const gold = config.gold.model;
  if (!gold) return 0;
  const perPrompt = gold.temperatures.length * gold.responseTokens.length * gold.samplesPerSetting;
  const validation = Math.max(1, Math.round(gold.validationFraction * gold.prompts));
  return (gold.prompts - validation) * ((perPrompt * (perPrompt - 1)) / 2);
}

/**
 * The cross-field rules of `gold`: the reader's n-gram codes exact over the vocabulary; a model section exactly when
 * kind is "model"; the gold RM a size of its own (no proxy shares its pretrained LM), at least GOLD_SIZE_RATIO× the
 * non-embedding parameters of every proxy, pretrained (in pretrain.sizes, so for as many steps as every proxy's LM), trained on
 * more comparisons than any proxy sees, on prompts label does not hold out.
 */
export function checkGoldModel(config: Omit<PipelineConfig, 'ppo'>, ctx: z.RefinementCtx): void {
  const { gold } = config;
  const issue = (path: (string | number)[], input: unknown, message: string): void => {
    ctx.addIssue({ code: 'custom', path: ['gold', ...path], input, message });
  };
  if (gold.fluencyWeight > 0 && config.tokenizer.vocabSize ** gold.readerOrder > Number.MAX_SAFE_INTEGER) {
    issue(
      ['readerOrder'],
      gold.readerOrder,
      `tokenizer.vocabSize (${config.tokenizer.vocabSize}) to the power readerOrder exceeds 2^53, so the reader's n-gram codes would not be exact; lower gold.readerOrder`,
    );
  }
  if (gold.kind === 'lexicon') {
    if (gold.model) issue(['model'], gold.model, 'is read only when gold.kind is "model"; remove it, or set gold.kind to "model"');
    return;
  }
  const model = gold.model;
  if (!model) {
    issue(
      ['model'],
      undefined,
      'is required when gold.kind is "model" (the gold RM: size, prompts, temperatures, responseTokens, training); or set gold.kind to "lexicon"',
    );
    return;
  }
  const size = config.models[model.size];
  if (!size) {
    issue(['model', 'size'], model.size, `no model size named "${model.size}"; defined in "models": ${Object.keys(config.models).join(', ')}`);
  } else {
    if (!config.pretrain.sizes.includes(model.size)) {
      issue(['model', 'size'], model.size, `the gold RM starts from a pretrained LM, so "${model.size}" must also be listed in pretrain.sizes`);
    }
    const proxySizes = [...new Set([...config.proxy.grid.sizes, ...(config.proxy.grid.extraSeeds?.sizes ?? [])])];
    if (proxySizes.includes(model.size)) {
      issue(
        ['model', 'size'],
        model.size,
        `is also a proxy size: the gold RM starts from its own pretrained LM, which no proxy may share; define a larger size for the gold in "models" and list it in pretrain.sizes`,
      );
    }
    for (const proxySize of proxySizes) {
      const proxy = config.models[proxySize];
      if (proxy && GOLD_SIZE_RATIO * nonEmbeddingParameters(proxy) > nonEmbeddingParameters(size)) {
        issue(
          ['model', 'size'],
          model.size,
          `the gold RM must have at least ${GOLD_SIZE_RATIO}× the non-embedding parameters of every proxy; proxy size "${proxySize}" has ${nonEmbeddingParameters(proxy)}, so the gold needs ${GOLD_SIZE_RATIO * nonEmbeddingParameters(proxy)}; "${model.size}" has ${nonEmbeddingParameters(size)}`,
        );
      }
    }
  }
  const available = config.prompts.count - config.label.evalPrompts;
  if (model.prompts > available) {
    issue(
      ['model', 'prompts'],
      model.prompts,
      `must be ≤ prompts.count − label.evalPrompts (${available}): the gold RM never trains on the evaluation prompts`,
    );
  }
  const perPrompt = model.temperatures.length * model.responseTokens.length * model.samplesPerSetting;
  if (perPrompt < 2) {
    issue(
      ['model', 'samplesPerSetting'],
      model.samplesPerSetting,
      'temperatures × responseTokens × samplesPerSetting must be ≥ 2: a comparison needs two samples of a prompt',
    );
  }
  const mostProxy = Math.max(...config.proxy.grid.comparisons);
  const bound = goldTrainingPairsBound(config);
  if (bound <= mostProxy) {
    issue(
      ['model', 'prompts'],
      model.prompts,
      `gives at most ${bound} training comparisons; the gold RM must train on more than any proxy (${mostProxy}): raise gold.model.prompts or the samples per prompt`,
    );
  }
  for (const key of ['temperatures', 'responseTokens'] as const) {
    const values = model[key];
    if (new Set(values).size !== values.length) issue(['model', key], values, 'lists a value twice');
  }
  const longest = Math.max(...model.responseTokens);
  if (longest >= config.pretrain.contextLength) {
    issue(
      ['model', 'responseTokens'],
      model.responseTokens,
      `the longest (${longest}) leaves no room for a prompt in pretrain.contextLength (${config.pretrain.contextLength})`,
    );
  }
}
