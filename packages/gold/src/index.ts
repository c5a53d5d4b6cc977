export * from './human.ts';
export * from './gold.ts';
export * from './normalisation.ts';
export * from './reader.ts';
export * from './human-reader.ts';
