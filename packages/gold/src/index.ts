export * from './gold.ts';
