/** Linear warm-up to `peak`, then cosine decay to `minFraction`·peak at `totalSteps`. `step` counts from 0. */
export function cosineLearningRate(step: number, schedule: { peak: number; warmupSteps: number; totalSteps: number; minFraction: number }): number {
  const { peak, warmupSteps, totalSteps, minFraction } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  const floor = peak * minFraction;
  return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
