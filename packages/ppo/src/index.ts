/**
 * The PPO stage's public API; everything else in src/ is the package's own.
 *   - The stage: one run (`runPpoRun`), the summary of every run, where a run writes.
 *   - One run's training as the stage runs it (policy-training.ts), for tools that train as a reported run would
 *     (scripts/ppo-tune.ts): the reward, the hyperparameters, the rollout prompts, the evaluation and the loop.
 *   - The trainer, one PPO iteration, for the benchmarks (scripts/bench.ts, scripts/estimate.ts).
 */
export { STAGE, runDir, workDir, runPpoRun, type RunResult } from './stage.ts';
export { runPpoSummary, type RunCurveRow } from './summary.ts';
export { formatRunCurves } from './report.ts';
export {
  evaluateRun,
  hyperparametersFor,
  loadRunModels,
  promptSchedule,
  readCenteringSamples,
  requirePpo,
  rolloutPrompts,
  runReward,
  trainPolicy,
  type InitialSample,
  type PolicyTraining,
  type ProxyModel,
  type RunEvaluation,
  type RunModels,
  type RunReward,
  type TrainingProgress,
} from './policy-training.ts';
export { evaluationSteps, perPromptMeans, type EvalPoint, type EvalSample } from './evaluation.ts';
export { PpoTrainer, type IterationStats, type RewardFunction } from './trainer.ts';
export type { PpoHyperparameters } from './hyperparameters.ts';
export { VALUE_HEAD } from './batch.ts';
