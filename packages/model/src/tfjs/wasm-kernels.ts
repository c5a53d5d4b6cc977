import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm has no UnsortedSegmentSum kernel, which the gradient of tf.gather (embedding lookup) needs.
 * This registers one written in JS over the wasm heap: the scatter-add is memory-bound and tiny next to the
 * matMuls, so JS speed is enough.
 */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as unknown as WasmBackendLike;
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum (wasm, goodhart): only float32 is supported, got ${x.dtype}`);
      const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
      const rowSize = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
      // Read the inputs after makeOutput: allocating may grow the wasm heap and detach earlier views.
      const values = wasm.typedArrayFromHeap(x) as Float32Array;
      const ids = wasm.typedArrayFromHeap(segmentIds) as Int32Array;
      const result = wasm.typedArrayFromHeap(out) as Float32Array;
      result.fill(0);
      for (let r = 0; r < rows; r++) {
        const segment = ids[r];
        if (segment < 0 || segment >= numSegments) continue;
        const src = r * rowSize;
        const dst = segment * rowSize;
        for (let c = 0; c < rowSize; c++) result[dst + c] += values[src + c];
      }
      return out;
    },
  });
}
