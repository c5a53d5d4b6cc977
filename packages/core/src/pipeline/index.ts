/**
 * `@goodhart/core/pipeline`: the stage registry and the planner alone, free of the Parquet and Arrow libraries core's
 * main entry loads, for what must start fast and never reads a table (the Nx plugin, a Slurm job's wrapper). Core's
 * main entry exports the same modules.
 */
export * from './naming.ts';
export * from './sweep-defaults.ts';
export * from './fields.ts';
export * from './registry.ts';
export * from './plan.ts';
export * from './alone.ts';
export * from './sources.ts';
export * from './seed-variant.ts';
