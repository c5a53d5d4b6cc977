export { pairLoss, batchLoss, implicitReward } from './losses.ts';
export {
  comparisonBatch,
  comparisonLogProbs,
  responseBatch,
  sequenceLogProbs,
  spreadOverResponses,
  type Comparison,
  type ResponseBatch,
} from './pair-batch.ts';
export { sequenceK1 } from './kl-k1.ts';
export { validateDpoHyperparameters, type DpoHyperparameters } from './hyperparameters.ts';
export { comparisonLoss, DpoTrainer, type ReferencedComparison, type StepStats } from './trainer.ts';
export { evaluationSteps, implicitAccuracy, summariseStep, type EvalPoint, type EvalSample } from './evaluation.ts';
export { comparisonSchedule, totalSteps } from './comparisons.ts';
export { runDpoRun, requireDpo, type DpoRunResult } from './stage.ts';
export { runDpoSummary, formatDpoCurves, type DpoCurveRow } from './summary.ts';
