import type { PipelineConfig } from '@goodhart/core';
import type { RewardTrainingSchedule } from '@goodhart/model';

/**
 * Everything the gold RM stage needs besides its models, with the meaning of each field. The stage fills it from
 * the pipeline (gold.model, validated at load); `validateGoldRmHyperparameters` guards direct library use and is
 * written next to the outputs (hyperparameters.json). Its training schedule is the one every reward model trains on
 * (RewardTrainingSchedule: epochs, minSteps, batchSize, learningRate, warmupSteps, weightDecay, gradientClip).
 */
export interface GoldRmHyperparameters extends RewardTrainingSchedule {
  /** Every random choice (prompt split, samples, head, batch order) flows from this seed. */
  seed: number;
  /** The initial policy whose samples the human labels (policy.sizes[0]). */
  policy: string;
  /** The gold RM's size: its backbone is the pretrained LM of this size. */
  size: string;
  /** Prompts to sample (held-out evaluation prompts excluded). */
  prompts: number;
  temperatures: number[];
  /** Response length budgets in tokens. */
  responseTokens: number[];
  samplesPerSetting: number;
  /** Fraction of the prompts whose comparisons are held out to measure accuracy against the human. */
  validationFraction: number;
  sampleBatchSize: number;
  scoringBatchSize: number;
}

export function goldRmHyperparameters(config: PipelineConfig): GoldRmHyperparameters {
  const model = config.gold.model;
  if (config.gold.kind !== 'model' || !model) {
    throw new Error(
      `pipeline "${config.name}" has gold.kind "${config.gold.kind}": the gold RM is trained only when gold.kind is "model" (with a gold.model section)`,
    );
  }
  const { training } = model;
  return validateGoldRmHyperparameters({
    seed: config.seed,
    policy: config.policy.sizes[0],
    size: model.size,
    prompts: model.prompts,
    temperatures: [...model.temperatures],
    responseTokens: [...model.responseTokens],
    samplesPerSetting: model.samplesPerSetting,
    validationFraction: model.validationFraction,
    sampleBatchSize: model.sampleBatchSize,
    scoringBatchSize: model.scoringBatchSize,
    epochs: training.epochs,
    minSteps: training.minSteps,
    batchSize: training.batchSize,
    learningRate: training.learningRate,
    warmupSteps: training.warmupSteps,
    weightDecay: training.weightDecay,
    gradientClip: training.gradientClip,
  });
}

export function validateGoldRmHyperparameters(h: GoldRmHyperparameters): GoldRmHyperparameters {
  const problems: string[] = [];
  const check = (field: keyof GoldRmHyperparameters, ok: boolean, allowed: string): void => {
    if (!ok) problems.push(`${field}: got ${JSON.stringify(h[field])}; allowed: ${allowed}`);
  };
  const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  check('seed', Number.isInteger(h.seed) && h.seed >= 0, 'an integer ≥ 0');
  check('policy', typeof h.policy === 'string' && h.policy.length > 0, 'a model size name');
  check('size', typeof h.size === 'string' && h.size.length > 0, 'a model size name');
  check('prompts', positiveInt(h.prompts), 'an integer ≥ 1');
  check(
    'temperatures',
    Array.isArray(h.temperatures) && h.temperatures.length > 0 && h.temperatures.every((t) => finite(t) && t > 0),
    'a non-empty list of numbers > 0',
  );
  check(
    'responseTokens',
    Array.isArray(h.responseTokens) && h.responseTokens.length > 0 && h.responseTokens.every(positiveInt),
    'a non-empty list of integers ≥ 1',
  );
  check('samplesPerSetting', positiveInt(h.samplesPerSetting), 'an integer ≥ 1');
  if (problems.length === 0 && samplesPerPrompt(h) < 2)
    problems.push('samplesPerSetting: temperatures × responseTokens × samplesPerSetting must be ≥ 2 (a comparison needs two samples)');
  check('validationFraction', finite(h.validationFraction) && h.validationFraction > 0 && h.validationFraction < 0.5, '(0, 0.5)');
  check('sampleBatchSize', positiveInt(h.sampleBatchSize), 'an integer ≥ 1');
  check('scoringBatchSize', positiveInt(h.scoringBatchSize), 'an integer ≥ 1');
  check('epochs', finite(h.epochs) && h.epochs > 0, 'a number > 0');
  check('minSteps', Number.isInteger(h.minSteps) && h.minSteps >= 0, 'an integer ≥ 0');
  check('batchSize', positiveInt(h.batchSize), 'an integer ≥ 1');
  check('learningRate', finite(h.learningRate) && h.learningRate > 0 && h.learningRate <= 1, '(0, 1]');
  check('warmupSteps', Number.isInteger(h.warmupSteps) && h.warmupSteps >= 0, 'an integer ≥ 0');
  check('weightDecay', finite(h.weightDecay) && h.weightDecay >= 0 && h.weightDecay <= 1, '[0, 1]');
  check('gradientClip', finite(h.gradientClip) && h.gradientClip > 0, '> 0');
  if (problems.length > 0) throw new Error(`invalid gold RM hyperparameters:\n  ${problems.join('\n  ')}`);
  return h;
}

/** Samples per prompt: one per temperature × length, `samplesPerSetting` times. */
export function samplesPerPrompt(h: Pick<GoldRmHyperparameters, 'temperatures' | 'responseTokens' | 'samplesPerSetting'>): number {
  return h.temperatures.length * h.responseTokens.length * h.samplesPerSetting;
}
