// The tfjs internals, for tests that check them directly; stages use the engine interface instead.
export { Transformer, disposeCache, type KvCache } from './transformer.ts';
export * from './ops.ts';
export { registerWasmKernels } from './wasm-kernels.ts';
export { initBackend, backendLine, type BackendInfo } from './backend.ts';
export { matMulGflops } from './matmul-rate.ts';
