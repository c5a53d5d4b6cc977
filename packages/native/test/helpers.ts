import { loadNativeBinding, type NativeBinding, type NativeShape } from '../src/index.ts';

export const loaded = loadNativeBinding();
/** The binding, or undefined when the native engine is unavailable (tests then skip, or fail under GOODHART_REQUIRE_NATIVE=1). */
export const native: NativeBinding | undefined = 'binding' in loaded ? loaded.binding : undefined;
export const unavailable = 'error' in loaded ? loaded.error : '';

/** Deterministic PRNG (mulberry32) with a Box–Muller normal. */
export function makeRng(seed: number): { uniform: () => number; normal: () => number; int: (n: number) => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal, int: (n) => Math.floor(uniform() * n) };
}

/** Names and sizes of the packed parameters, in binding.ts order. */
export function parameterTensors(shape: NativeShape): { name: string; offset: number; size: number }[] {
  const { vocabSize: V, contextLength: C, layers, dModel: d, mlpRatio, scalarHeads } = shape;
  const F = mlpRatio * d;
  const list: [string, number][] = [
    ['wte', V * d],
    ['wpe', C * d],
  ];
  for (let l = 0; l < layers; l++) {
    list.push(
      [`h.${l}.ln_1.g`, d],
      [`h.${l}.ln_1.b`, d],
      [`h.${l}.attn.qkv.w`, 3 * d * d],
      [`h.${l}.attn.qkv.b`, 3 * d],
      [`h.${l}.attn.proj.w`, d * d],
      [`h.${l}.attn.proj.b`, d],
      [`h.${l}.ln_2.g`, d],
      [`h.${l}.ln_2.b`, d],
      [`h.${l}.mlp.fc.w`, d * F],
      [`h.${l}.mlp.fc.b`, F],
      [`h.${l}.mlp.proj.w`, F * d],
      [`h.${l}.mlp.proj.b`, d],
    );
  }
  list.push(['ln_f.g', d], ['ln_f.b', d]);
  for (let h = 0; h < scalarHeads; h++) list.push([`head${h}.w`, d], [`head${h}.b`, 1]);
  let offset = 0;
  return list.map(([name, size]) => {
    const entry = { name, offset, size };
    offset += size;
    return entry;
  });
}

/** Random parameters: gains near 1, biases and weights of the given scale. */
export function randomParams(nb: NativeBinding, shape: NativeShape, seed: number, scale = 0.3): Float32Array {
  const rng = makeRng(seed);
  const params = new Float32Array(nb.parameterCount(shape));
  for (const { name, offset, size } of parameterTensors(shape)) {
    const gain = name.endsWith('.g');
    for (let i = 0; i < size; i++) params[offset + i] = gain ? 1 + 0.1 * rng.normal() : scale * rng.normal();
  }
  return params;
}

export function randomIds(rng: ReturnType<typeof makeRng>, n: number, vocab: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}
