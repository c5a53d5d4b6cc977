import { loadNativeBinding } from '@goodhart/native';
import { Rng } from '@goodhart/core';
import {
  createEngine,
  initWeights,
  languageModelStep,
  sample,
  scorePromptPool,
  scoreSequences,
  defaultAdamW,
  type Engine,
  type ModelConfig,
  type Precision,
} from '@goodhart/model';

/**
 * Both engines side by side on the work of ../shared/bench/torch-yardstick.sh (the PyTorch yardstick), so the
 * three can be compared line by line in one sitting: AdamW training steps on 16 × 64 random tokens, KV-cache
 * sampling of 24 new tokens for 32 prompts of 8 tokens, and reward scoring of 250 sequences of 32 tokens, on the
 * quick policy's shape; plus GEMM GFLOP/s on a large square product. The native engine runs in fp32 and, where the
 * CPU has AVX512_BF16, in bf16 (bfloat16 products, float32 accumulation; its GEMM line is the bf16 product on
 * operands converted once, as PyTorch's bf16 matmul on bf16 tensors). "pool seq/s" scores one prompt's 2,000
 * responses (a best-of-n pool's shape: 16 prompt + 16 response tokens, the score line's 32) with the prompt encoded
 * once (scorePromptPool); tfjs has no such path and scores the full sequences.
 */
export interface EngineBenchOptions {
  seconds: number;
  say: (line: string) => void;
  /**
   * 'wall' (default): units per elapsed second. 'cpu': units per second of this process's CPU time, for a machine
   * other work is loading (meaningful for the 1-thread lines; a 2-thread line then counts both threads' time).
   */
  clock?: 'wall' | 'cpu';
  shape?: { layers: number; dModel: number; heads: number; vocabSize: number; contextLength: number };
}

interface Row {
  label: string;
  train: number;
  sample: number;
  score: number;
  pool: number;
  sgemm: number;
}

export async function benchEngines(options: EngineBenchOptions): Promise<void> {
  const { say } = options;
  const budget = options.seconds * 1000;
  clock = options.clock ?? 'wall';
  const shape = options.shape ?? { layers: 2, dModel: 128, heads: 4, vocabSize: 1024, contextLength: 64 };
  const config: ModelConfig = { kind: 'lm', mlpRatio: 4, ...shape };
  say(
    `engines on the quick policy shape (${shape.layers} layers, d ${shape.dModel}, ${shape.heads} heads, ctx ${shape.contextLength}, vocab ${shape.vocabSize}), ${options.seconds} s per line${clock === 'cpu' ? ', rates per CPU-second of this process' : ''}:`,
  );
  const rows: Row[] = [];
  const loaded = loadNativeBinding();
  if ('error' in loaded) {
    say(`  native: unavailable (${loaded.error})`);
  } else {
    const info = loaded.binding.info();
    const precisions: Precision[] = info.bf16 ? ['fp32', 'bf16'] : ['fp32'];
    if (!info.bf16) say(`  native bf16: not measured (${info.bf16Status})`);
    for (const threads of [1, 2]) {
      for (const precision of precisions) {
        const native = await createEngine('native', undefined, threads, precision);
        rows.push({
          label: `native ${precision}, ${threads} thread${threads > 1 ? 's' : ''} (${precision === 'bf16' ? info.bf16Status : info.isa})`,
          ...measureModel(native, config, budget),
          sgemm: precision === 'bf16' ? nativeBgemm(loaded.binding, budget) : nativeSgemm(loaded.binding, budget),
        });
      }
    }
  }
  const tfjs = await createEngine('tfjs');
  rows.push({
    label: tfjs.description.replace(/^tfjs — backend: /, 'tfjs, ').replace(/ — .*$/, ''),
    ...measureModel(tfjs, config, budget),
    sgemm: await tfjsSgemm(budget),
  });
  const columns = ['engine', 'train tokens/s', 'score seq/s', 'pool seq/s', 'sample tokens/s', 'GEMM GFLOP/s'];
  const table = rows.map((row) => [row.label, format(row.train), format(row.score), format(row.pool), format(row.sample), row.sgemm.toFixed(1)]);
  const widths = columns.map((column, i) => Math.max(column.length, ...table.map((cells) => cells[i].length)));
  say(`  ${columns.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`);
  for (const cells of table) say(`  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`);
  say('  compare with ../shared/bench/torch-yardstick.sh (same shape and work) run right after, on the idle machine');
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

let clock: 'wall' | 'cpu' = 'wall';

/** Seconds of this process's CPU time (user + system, all threads). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Units per second of `work` over about `ms` (work returns units done per call), after one warm-up call: per
 * elapsed second, or per CPU-second of the process when benchEngines runs with clock 'cpu'.
 */
export function throughput(ms: number, work: () => number): number {
  work();
  let units = 0;
  const started = performance.now();
  const cpuStarted = cpuSeconds();
  while (performance.now() - started < ms) units += work();
  const seconds = clock === 'cpu' ? cpuSeconds() - cpuStarted : (performance.now() - started) / 1000;
  return units / seconds;
}

function measureModel(engine: Engine, config: ModelConfig, budget: number): { train: number; sample: number; score: number; pool: number } {
  const rng = Rng.fromSeed(0, `bench/${engine.name}`);
  const random = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.int(config.vocabSize - 1));
  const model = engine.createModel(config, initWeights(config, rng.fork('lm')));
  const batch = 16;
  const width = config.contextLength + 1;
  const train = throughput(budget, () => {
    languageModelStep(model, Int32Array.from(random(batch * width)), batch, width, 1e-5, defaultAdamW);
    return batch * config.contextLength;
  });
  const sampled = throughput(budget, () => {
    const prompts = Array.from({ length: 32 }, () => random(8));
    return sample(model, prompts, { maxNewTokens: 24, temperature: 1 }, rng).tokens.reduce((n, row) => n + row.length, 0);
  });
  model.dispose();
  const rewardConfig: ModelConfig = { ...config, kind: 'reward' };
  const rm = engine.createModel(rewardConfig, initWeights(rewardConfig, rng.fork('rm')));
  const score = throughput(budget, () => {
    scoreSequences(
      rm,
      Array.from({ length: 250 }, () => random(32)),
      250,
    );
    return 250;
  });
  const pool = throughput(budget, () => {
    scorePromptPool(rm, [{ prompt: random(16), responses: Array.from({ length: 2000 }, () => random(16)) }], 250);
    return 2000;
  });
  rm.dispose();
  return { train, sample: sampled, score, pool };
}

const SGEMM_SIZE = 1024;

function nativeSgemm(
  binding: { sgemm(m: number, n: number, k: number, a: Float32Array, ta: boolean, b: Float32Array, tb: boolean, c: Float32Array, acc: boolean): void },
  budget: number,
): number {
  const n = SGEMM_SIZE;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(n * n);
  return gflops(budget, () => binding.sgemm(n, n, n, a, false, b, false, c, false));
}

/** GFLOP/s of an n³ product (SGEMM_SIZE) run by `product`, over half the budget. */
function gflops(budget: number, product: () => void): number {
  const perSecond = throughput(budget / 2, () => {
    product();
    return 1;
  });
  return (perSecond * 2 * SGEMM_SIZE ** 3) / 1e9;
}

/** The bf16 product of the same size on operands converted to bf16 once (as a bf16 matmul on bf16 tensors). */
function nativeBgemm(
  binding: {
    bf16Pairs(src: Float32Array, rows: number, cols: number, kAlongRows: boolean, dst: Uint16Array): void;
    bgemm(m: number, n: number, k: number, a: Uint16Array, ta: boolean, b: Uint16Array, tb: boolean, c: Float32Array, acc: boolean): void;
  },
  budget: number,
): number {
  const n = SGEMM_SIZE;
  const a = new Uint16Array(n * n);
  const b = new Uint16Array(n * n);
  binding.bf16Pairs(
    Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
    n,
    n,
    true,
    a,
  );
  binding.bf16Pairs(
    Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
    n,
    n,
    false,
    b,
  );
  const c = new Float32Array(n * n);
  return gflops(budget, () => binding.bgemm(n, n, n, a, false, b, false, c, false));
}

/** tfjs's matMul under its active backend (loaded on demand: tfjs lives behind packages/model). */
async function tfjsSgemm(budget: number): Promise<number> {
  const { matMulGflops } = await import('@goodhart/model/tfjs');
  return matMulGflops(SGEMM_SIZE, budget / 2);
}
