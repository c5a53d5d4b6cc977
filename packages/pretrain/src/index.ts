export * from './corpus.ts';
export * from './dataset.ts';
export * from './train.ts';
export * from './stage.ts';
