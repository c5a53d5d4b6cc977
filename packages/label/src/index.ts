export * from './comparisons.ts';
export * from './policy-samples.ts';
export * from './stage.ts';
