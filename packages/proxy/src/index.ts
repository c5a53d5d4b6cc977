export * from './comparisons-data.ts';
export * from './reward-training.ts';
export * from './stage.ts';
export * from './report.ts';
export * from './average-stage.ts';
export * from './weight-average.ts';
