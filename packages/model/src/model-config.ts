import { nonEmbeddingParameters } from '@goodhart/core';

/**
 * The hyperparameters of one transformer, written beside every checkpoint (model.json) so a checkpoint can be
 * loaded without the pipeline file.
 */
export interface ModelConfig {
  kind: 'lm' | 'reward';
  vocabSize: number;
  contextLength: number;
  layers: number;
  dModel: number;
  heads: number;
  mlpRatio: number;
}

export function validateModelConfig(config: ModelConfig): ModelConfig {
  const problems: string[] = [];
  const positive = (field: keyof ModelConfig, max: number): void => {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      problems.push(`${field}: got ${JSON.stringify(value)}; must be an integer in [1, ${max}]`);
    }
  };
  if (config.kind !== 'lm' && config.kind !== 'reward') problems.push(`kind: got ${JSON.stringify(config.kind)}; allowed: "lm", "reward"`);
  positive('vocabSize', 1 << 20);
  positive('contextLength', 1 << 16);
  positive('layers', 256);
  positive('dModel', 1 << 16);
  positive('heads', 1024);
  positive('mlpRatio', 16);
  if (problems.length === 0 && config.dModel % config.heads !== 0) {
    problems.push(`heads: ${config.heads} must divide dModel ${config.dModel}`);
  }
  if (problems.length > 0) throw new Error(`invalid model config:\n  ${problems.join('\n  ')}`);
  return config;
}

/** Parameter counts; `nonEmbedding` is the one scaling laws use. */
export function parameterCount(config: ModelConfig): { total: number; nonEmbedding: number } {
  const d = config.dModel;
  const head = config.kind === 'reward' ? d + 1 : 0;
  const nonEmbedding = nonEmbeddingParameters(config) + head;
  return { total: nonEmbedding + config.vocabSize * d + config.contextLength * d, nonEmbedding };
}
