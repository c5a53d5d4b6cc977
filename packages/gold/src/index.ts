export * from './gold.ts';
export * from './normalisation.ts';
