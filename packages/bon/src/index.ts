export * from './estimator.ts';
export * from './kl.ts';
export * from './normal.ts';
export * from './pool.ts';
export * from './curves.ts';
export * from './stage.ts';
export * from './report.ts';
export * from './regressional.ts';
