export * from './human.ts';
export * from './gold.ts';
export * from './normalisation.ts';
