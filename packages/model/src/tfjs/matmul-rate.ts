import * as tf from '@tensorflow/tfjs';

/** GFLOP/s of tf.matMul on an n × n square product under the active backend, over about `ms` (for the benchmark). */
export function matMulGflops(n: number, ms: number): number {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const run = (): void => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  run();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    run();
    count += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  a.dispose();
  b.dispose();
  return (count * 2 * n ** 3) / seconds / 1e9;
}
