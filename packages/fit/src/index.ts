export * from './types.ts';
export * from './linear-solve.ts';
export * from './least-squares.ts';
export * from './curve-fits.ts';
export * from './percentile.ts';
export * from './bootstrap-fits.ts';
export * from './extrapolation.ts';
export * from './scaling.ts';
export * from './fit-all.ts';
export { computeFindings, FINDING_TITLES, findingThresholds } from './findings.ts';
export { writeReport, type WrittenReport } from './report/write-report.ts';
export { FIGURE_IDS } from './report/figures/index.ts';
export * from './stage.ts';
export * from './inputs.ts';
export { humanBesideGold, type HumanBesideGold, type ScorePeak } from './human-beside-gold.ts';
export { analyseFunctionalForms, type FormR2Row, type FunctionalFormsAnalysis } from './findings/functional-forms.ts';
export { compareFormsHeldOut, compareOnSplit, type CurveComparison, type FormComparison, type FormCurve } from './findings/form-comparison.ts';
export { bonFormCurve, judgedBonCurves, judgedRlRuns, rlFormCurve } from './findings/form-curves.ts';
export {
  calibrate,
  coefficientsForPeak,
  FORM_CALIBRATION_SCENARIOS,
  noiseModelOf,
  syntheticCurves,
  type CalibrationRates,
  type NoiseCurve,
  type NoiseModel,
  type Scenario,
} from './findings/form-calibration.ts';
export * from './seeds/pooled-slopes.ts';
export * from './seeds/read-seed-run.ts';
export * from './seeds/cross-seed-report.ts';
