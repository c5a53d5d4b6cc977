export * from './comparisons.ts';
export * from './hyperparameters.ts';
export * from './samples.ts';
export * from './training.ts';
export * from './stage.ts';
export * from './report.ts';
