/**
 * Everything one PPO run needs besides its models and reward, with the meaning of each field. The stage fills it
 * from the pipeline's `ppo` section (validated there); `validatePpoHyperparameters` guards direct library use.
 */
export interface PpoHyperparameters {
  /** Prompts (one response each) per rollout. */
  batchSize: number;
  /** Minibatches per epoch; must divide batchSize. */
  minibatches: number;
  /** Optimisation passes over each rollout. */
  epochs: number;
  learningRate: number;
  /** ε of the clipped surrogate. */
  clipRange: number;
  valueClipRange: number;
  /** Weight of the value loss against the policy loss (they share the trunk). */
  valueCoefficient: number;
  gamma: number;
  gaeLambda: number;
  gradientClip: number;
  /** β_KL of the per-token penalty −β_KL·(log π − log π_init). */
  klCoefficient: number;
  temperature: number;
  maxNewTokens: number;
  stopToken?: number;
}

export function validatePpoHyperparameters(h: PpoHyperparameters): PpoHyperparameters {
  const problems: string[] = [];
  const check = (field: keyof PpoHyperparameters, ok: boolean, allowed: string): void => {
    if (!ok) problems.push(`${field}: got ${JSON.stringify(h[field])}; allowed: ${allowed}`);
  };
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
  check('batchSize', positiveInt(h.batchSize), 'an integer ≥ 1');
  check('minibatches', positiveInt(h.minibatches) && h.batchSize % h.minibatches === 0, `an integer ≥ 1 dividing batchSize (${h.batchSize})`);
  check('epochs', positiveInt(h.epochs), 'an integer ≥ 1');
  check('learningRate', h.learningRate > 0 && h.learningRate <= 1, '(0, 1]');
  check('clipRange', h.clipRange > 0, '> 0');
  check('valueClipRange', h.valueClipRange > 0, '> 0');
  check('valueCoefficient', h.valueCoefficient >= 0, '≥ 0');
  check('gamma', h.gamma >= 0 && h.gamma <= 1, '[0, 1]');
  check('gaeLambda', h.gaeLambda >= 0 && h.gaeLambda <= 1, '[0, 1]');
  check('gradientClip', h.gradientClip > 0, '> 0');
  check('klCoefficient', h.klCoefficient >= 0 && Number.isFinite(h.klCoefficient), 'a finite number ≥ 0');
  check('temperature', h.temperature > 0, '> 0');
  check('maxNewTokens', positiveInt(h.maxNewTokens), 'an integer ≥ 1');
  if (problems.length > 0) throw new Error(`invalid PPO hyperparameters:\n  ${problems.join('\n  ')}`);
  return h;
}
