export * from './config-schema.ts';
export * from './config.ts';
export * from './rng.ts';
export * from './progress.ts';
export * from './backend.ts';
