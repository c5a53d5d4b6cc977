export * from './model-config.ts';
export * from './gpt.ts';
export * from './ops.ts';
export * from './adamw.ts';
export * from './sampling.ts';
export * from './checkpoint.ts';
export { registerWasmKernels } from './wasm-kernels.ts';
export * from './bpe.ts';
export * from './pretrained.ts';
