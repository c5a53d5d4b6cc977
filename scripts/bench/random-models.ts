import type { PipelineConfig, Rng } from '@goodhart/core';
import { initWeights, rewardWeightsFromLm, type Engine, type Model, type ModelConfig } from '@goodhart/model';

/** Freshly initialised models of a preset's sizes (for benchmarks and estimates: the shapes are what matter). */
export function randomModels(engine: Engine, config: PipelineConfig, rng: Rng) {
  const lmConfig = (size: string): ModelConfig => {
    const shape = config.models[size];
    if (!shape) throw new Error(`no model size "${size}" in models`);
    return { kind: 'lm', vocabSize: config.tokenizer.vocabSize, contextLength: config.pretrain.contextLength, ...shape };
  };
  return {
    languageModel(size: string, extraHeads: readonly string[] = []): Model {
      const modelConfig = lmConfig(size);
      return engine.createModel(modelConfig, initWeights(modelConfig, rng.fork(size), extraHeads), extraHeads);
    },
    rewardModel(size: string, headRng: Rng): Model {
      const lm = lmConfig(size);
      const { config: rmConfig, weights } = rewardWeightsFromLm(lm, initWeights(lm, rng.fork(size)), headRng);
      return engine.createModel(rmConfig, weights);
    },
  };
}
