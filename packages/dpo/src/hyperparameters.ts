import { DPO_LOSSES, type DpoLoss } from '@goodhart/core';

/**
 * Everything one DPO run's training needs besides its policy and data, with the meaning of each field. The stage
 * fills it from the pipeline's `dpo` section (validated at load); `validateDpoHyperparameters` guards direct use.
 */
export interface DpoHyperparameters {
  loss: DpoLoss;
  /** β of the loss. */
  beta: number;
  /** Comparisons per AdamW step. */
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  gradientClip: number;
}

export function validateDpoHyperparameters(h: DpoHyperparameters): DpoHyperparameters {
  const problems: string[] = [];
  const check = (field: keyof DpoHyperparameters, ok: boolean, allowed: string): void => {
    if (!ok) problems.push(`${field}: got ${JSON.stringify(h[field])}; allowed: ${allowed}`);
  };
  check('loss', (DPO_LOSSES as readonly unknown[]).includes(h.loss), DPO_LOSSES.map((l) => `"${l}"`).join(' or '));
  check('beta', Number.isFinite(h.beta) && h.beta > 0, 'a finite number > 0');
  check('batchSize', Number.isInteger(h.batchSize) && h.batchSize >= 1, 'an integer ≥ 1');
  check('learningRate', h.learningRate > 0 && h.learningRate <= 1, '(0, 1]');
  check('weightDecay', h.weightDecay >= 0 && h.weightDecay <= 1, '[0, 1]');
  check('gradientClip', h.gradientClip > 0, '> 0');
  if (problems.length > 0) throw new Error(`invalid DPO hyperparameters:\n  ${problems.join('\n  ')}`);
  return h;
}
