import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import {
  CONFIG_FILE,
  decodeSafetensors,
  defaultAdamW,
  encodeSafetensors,
  encodeTensors,
  languageModelStep,
  loadCheckpoint,
  parameterShapes,
  readCheckpoint,
  rewardWeightsFromLm,
  saveCheckpoint,
  shiftedBatch,
  tokenBatch,
  WEIGHTS_FILE,
  type Engine,
  type Model,
  type ModelConfig,
  type NamedTensor,
} from '../src/index.ts';
import { availableEngineNames, bitEqual, differingWeights, engineNamed, tfjsEngine, tinyConfig, tinyModel, tinyWeights } from './helpers.ts';

let root: string;
let tfjs: Engine;

beforeAll(async () => {
  tfjs = await tfjsEngine();
  root = await mkdtemp(path.join(tmpdir(), 'model-checkpoint-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCounter = 0;
const freshDir = (): string => path.join(root, `ckpt-${dirCounter++}`);

/** Log-probs over a [2, 10] batch with left padding on row 1, and the decoder's first logits for it. */
function outputsOf(model: Model): { logProbs: Float32Array; logits: Float32Array } {
  const sequences = [
    [5, 9, 1, 40, 2, 7, 33, 12, 0, 3, 14],
    [17, 4, 4, 21, 60, 8, 11, 6],
  ];
  const { batch, targets } = shiftedBatch(sequences);
  const logProbs = model.forward(batch, { targets }).logProbs!;
  const session = model.prefill(tokenBatch(sequences));
  try {
    return { logProbs, logits: Float32Array.from(session.logits) };
  } finally {
    session.dispose();
  }
}

/** init from seed, a few AdamW steps on fixed data, save; returns the safetensors bytes. */
async function trainAndSave(engine: Engine, seed: number, dir: string): Promise<Buffer> {
  const model = tinyModel(engine, seed);
  const windows = Int32Array.from({ length: 3 * 13 }, (_, i) => (i * 7 + (i >> 2)) % tinyConfig.vocabSize);
  try {
    for (let step = 0; step < 4; step++) languageModelStep(model, windows, 3, 13, 1e-2, { ...defaultAdamW, weightDecay: 0.1 });
    await saveCheckpoint(model, dir);
  } finally {
    model.dispose();
  }
  return readFile(path.join(dir, WEIGHTS_FILE));
}

/** The safetensors header of `bytes`, changed by `mutate`, re-padded, in front of the same data section. */
function rewriteHeader(bytes: Uint8Array, mutate: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): Buffer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  mutate(header);
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length), 0);
  return Buffer.concat([prefix, padded, bytes.subarray(8 + headerLength)]);
}

for (const name of availableEngineNames) {
  describe(`saveCheckpoint / loadCheckpoint (${name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await engineNamed(name);
    });

    it('round-trips to bit-identical weights, log-probs and logits', async () => {
      const model = tinyModel(engine, 3);
      const dir = freshDir();
      await saveCheckpoint(model, dir);
      const loaded = await loadCheckpoint(dir, engine);
      try {
        expect(loaded.engine).toBe(name);
        expect(loaded.config).toEqual(model.config);
        expect([...loaded.weights().keys()]).toEqual([...model.weights().keys()]);
        expect(differingWeights(loaded.weights(), model.weights())).toEqual([]);
        const before = outputsOf(model);
        const after = outputsOf(loaded);
        expect(before.logProbs.length).toBe(2 * 10);
        expect(before.logits.length).toBe(2 * tinyConfig.vocabSize);
        expect(before.logProbs.every(Number.isFinite)).toBe(true);
        expect(bitEqual(before.logProbs, after.logProbs)).toBe(true);
        expect(bitEqual(before.logits, after.logits)).toBe(true);
      } finally {
        model.dispose();
        loaded.dispose();
      }
    });

    it('round-trips a reward model and its rewards exactly', async () => {
      const { config, weights } = rewardWeightsFromLm(tinyConfig, tinyWeights(4), Rng.fromSeed(5, 'head'));
      const rm = engine.createModel(config, weights);
      const dir = freshDir();
      await saveCheckpoint(rm, dir);
      const loaded = await loadCheckpoint(dir, engine);
      try {
        expect(loaded.config.kind).toBe('reward');
        expect(loaded.headNames).toEqual(['reward']);
        const batch = { rows: 2, width: 6, ids: Int32Array.from([0, 0, 3, 4, 5, 6, 9, 8, 7, 6, 5, 4]), starts: Int32Array.from([2, 0]) };
        const rewards = (m: Model): Float32Array => m.forward(batch, { heads: 'last' }).heads.reward;
        expect(bitEqual(rewards(rm), rewards(loaded))).toBe(true);
      } finally {
        rm.dispose();
        loaded.dispose();
      }
    });

    it('leaves extra heads out of the checkpoint and loads them back at zero when asked', async () => {
      const weights = tinyWeights(6, {}, ['value']);
      weights.get('value.w')!.data.fill(0.25);
      weights.get('value.b')!.data.fill(-1);
      const policy = engine.createModel(tinyConfig, weights, ['value']);
      const dir = freshDir();
      await saveCheckpoint(policy, dir);
      const plain = await loadCheckpoint(dir, engine);
      const withValue = await loadCheckpoint(dir, engine, ['value']);
      try {
        expect([...decodeSafetensors(await readFile(path.join(dir, WEIGHTS_FILE))).keys()].sort()).toEqual([...parameterShapes(tinyConfig).keys()].sort());
        expect(plain.headNames).toEqual([]);
        expect(withValue.headNames).toEqual(['value']);
        const restored = withValue.weights();
        expect(restored.get('value.w')!.data.every((v) => v === 0)).toBe(true);
        expect(restored.get('value.b')!.data.every((v) => v === 0)).toBe(true);
        restored.delete('value.w');
        restored.delete('value.b');
        expect(differingWeights(restored, plain.weights())).toEqual([]);
        expect(differingWeights(plain.weights(), new Map([...weights].filter(([n]) => !n.startsWith('value.'))))).toEqual([]);
      } finally {
        for (const m of [policy, plain, withValue]) m.dispose();
      }
    });
  });

  describe(`checkpoint determinism (${name})`, () => {
    it('same seed gives byte-identical model.safetensors after AdamW steps; a different seed does not', async () => {
      const engine = await engineNamed(name);
      const a = await trainAndSave(engine, 11, freshDir());
      const b = await trainAndSave(engine, 11, freshDir());
      const c = await trainAndSave(engine, 12, freshDir());
      expect(a.length).toBeGreaterThan(1000);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBe(c.length); // same config → same layout
      expect(a.equals(c)).toBe(false);
    });

    it('training actually changed the weights that were saved', async () => {
      const engine = await engineNamed(name);
      const trained = await trainAndSave(engine, 11, freshDir());
      const fresh = tinyModel(engine, 11);
      try {
        expect(Buffer.from(encodeSafetensors(fresh)).equals(trained)).toBe(false);
      } finally {
        fresh.dispose();
      }
    });
  });
}

describe('safetensors format', () => {
  it('writes model.json beside the weights with the config', async () => {
    const model = tinyModel(tfjs, 6);
    const dir = freshDir();
    try {
      await saveCheckpoint(model, dir);
      expect(JSON.parse(await readFile(path.join(dir, CONFIG_FILE), 'utf8'))).toEqual(tinyConfig);
      const read = await readCheckpoint(dir);
      expect(read.config).toEqual(tinyConfig);
      expect(differingWeights(read.weights, model.weights())).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  it('writes a well-formed safetensors file (sorted names, contiguous offsets, 8-byte aligned header)', () => {
    const model = tinyModel(tfjs, 7);
    try {
      const weights = model.weights();
      const bytes = encodeSafetensors(model);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const headerLength = Number(view.getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
        string,
        { dtype: string; shape: number[]; data_offsets: [number, number] }
      >;
      const names = Object.keys(header).filter((n) => n !== '__metadata__');
      expect(names).toEqual([...weights.keys()].sort());
      let offset = 0;
      for (const tensorName of names) {
        const entry = header[tensorName];
        expect(entry.dtype).toBe('F32');
        expect(entry.shape).toEqual(weights.get(tensorName)!.shape);
        expect(entry.data_offsets[0]).toBe(offset);
        offset = entry.data_offsets[1];
        // the raw bytes are little-endian float32 of the weights
        const expected = weights.get(tensorName)!.data;
        const dv = new DataView(bytes.buffer, bytes.byteOffset + 8 + headerLength + entry.data_offsets[0], expected.byteLength);
        for (let i = 0; i < expected.length; i += 17) expect(dv.getFloat32(i * 4, true)).toBe(expected[i]);
      }
      expect(8 + headerLength + offset).toBe(bytes.length);
      const decoded = decodeSafetensors(bytes);
      expect(decoded.size).toBe(weights.size);
      expect(differingWeights(decoded, weights)).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  it('keeps the header 8-byte aligned when metadata holds non-ASCII text', () => {
    const model = tinyModel(tfjs, 8);
    try {
      const bytes = encodeSafetensors(model, { note: 'Gao, Schulman & Hilton — «overoptimization»' });
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      expect(decodeSafetensors(bytes).size).toBe(parameterShapes(tinyConfig).size);
    } finally {
      model.dispose();
    }
  });

  it('encodeTensors round-trips any named float32 tensors and refuses others', () => {
    const tensors = new Map<string, NamedTensor>([
      ['m/wte', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) }],
      ['value.b', { shape: [1], data: Float32Array.from([0.25]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const decoded = decodeSafetensors(encodeTensors(tensors));
    expect([...decoded.keys()]).toEqual(['empty', 'm/wte', 'value.b']);
    expect(differingWeights(decoded, tensors)).toEqual([]);
    expect(() => encodeTensors(new Map([['x', { shape: [2], data: Int32Array.from([1, 2]) as unknown as Float32Array }]]))).toThrow(/x is not float32/);
    expect(() => encodeTensors(new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(/x holds 3 values for shape \[2,2\]/);
  });
});

describe('loadCheckpoint errors', () => {
  async function savedDir(): Promise<string> {
    const model = tinyModel(tfjs, 9);
    const dir = freshDir();
    await saveCheckpoint(model, dir);
    model.dispose();
    return dir;
  }

  it('names the file when model.safetensors is truncated', async () => {
    const dir = await savedDir();
    const file = path.join(dir, WEIGHTS_FILE);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 100));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/truncated/);
  });

  it('names the file when model.safetensors is cut inside the header', async () => {
    const dir = await savedDir();
    const file = path.join(dir, WEIGHTS_FILE);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, 40));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/runs past the end of the file/);
    await writeFile(file, bytes.subarray(0, 5));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/too short/);
  });

  it('names the file when model.safetensors is garbage', async () => {
    const dir = await savedDir();
    const file = path.join(dir, WEIGHTS_FILE);
    const rng = Rng.fromSeed(1, 'garbage');
    const garbage = Buffer.from(Array.from({ length: 4096 }, () => rng.int(256)));
    await writeFile(file, garbage);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    // a small header length pointing at non-JSON bytes
    const fake = Buffer.alloc(64, 0x7a);
    fake.writeBigUInt64LE(16n, 0);
    await writeFile(file, fake);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/JSON/);
    // JSON, but not an object
    const array = Buffer.alloc(16, 0x20);
    array.writeBigUInt64LE(8n, 0);
    array.write('[1,2]', 8);
    await writeFile(file, array);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/header is not a JSON object/);
  });

  it('rejects negative data_offsets instead of reading header bytes as weights', async () => {
    const dir = await savedDir();
    const file = path.join(dir, WEIGHTS_FILE);
    const bytes = await readFile(file);
    // the first tensor in the data section moved back over the header: the byte count still fits its shape
    const first = [...parameterShapes(tinyConfig).keys()].sort()[0];
    const moved = rewriteHeader(bytes, (header) => {
      const [begin, end] = header[first].data_offsets;
      expect(begin).toBe(0);
      header[first].data_offsets = [begin - end, 0];
    });
    expect(() => decodeSafetensors(moved)).toThrow(
      new RegExp(`tensor ${first.replace(/\./g, '\\.')}: data_offsets \\[-\\d+, 0\\] must be integers with 0 ≤ begin ≤ end`),
    );
    await writeFile(file, moved);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(file);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/data_offsets/);
    // the same checks for reversed and non-integer offsets and for a negative shape
    const reversed = rewriteHeader(bytes, (header) => {
      header.wte.data_offsets = [header.wte.data_offsets[1], header.wte.data_offsets[0]];
    });
    expect(() => decodeSafetensors(reversed)).toThrow(/tensor wte: data_offsets \[\d+, \d+\] must be integers with 0 ≤ begin ≤ end/);
    const fractional = rewriteHeader(bytes, (header) => {
      header.wte.data_offsets = [header.wte.data_offsets[0] + 0.5, header.wte.data_offsets[1] + 0.5];
    });
    expect(() => decodeSafetensors(fractional)).toThrow(/tensor wte: data_offsets/);
    const negativeShape = rewriteHeader(bytes, (header) => {
      header['ln_f.b'].shape = [-16];
    });
    expect(() => decodeSafetensors(negativeShape)).toThrow(/tensor ln_f\.b: shape \[-16\] is not a list of non-negative integers/);
    const unsupported = rewriteHeader(bytes, (header) => {
      header.wte.dtype = 'F16';
    });
    expect(() => decodeSafetensors(unsupported)).toThrow(/tensor wte: unsupported or malformed entry/);
  });

  it('bounds-checks data_offsets in both directions: overlaps, gaps, ranges past the end, malformed pairs', async () => {
    const dir = await savedDir();
    const bytes = await readFile(path.join(dir, WEIGHTS_FILE));
    const names = [...parameterShapes(tinyConfig).keys()].sort();
    expect(() => decodeSafetensors(bytes)).not.toThrow();
    // Two tensors of one shape: the second pointed at the first's bytes (each range alone is valid).
    const sameShape = names.filter((n) => n.endsWith('ln_1.b'));
    expect(sameShape.length).toBeGreaterThanOrEqual(2);
    const overlap = rewriteHeader(bytes, (header) => {
      header[sameShape[1]!].data_offsets = [...header[sameShape[0]!].data_offsets];
    });
    expect(() => decodeSafetensors(overlap)).toThrow(
      /data_offsets \[\d+, \d+\] (overlap another tensor's bytes|leave bytes \[\d+, \d+\) of the data section unused)/,
    );
    // Trailing bytes no tensor claims.
    const trailing = Buffer.concat([bytes, Buffer.alloc(8)]);
    expect(() => decodeSafetensors(trailing)).toThrow(/8 bytes belong to no tensor/);
    // The last tensor's range moved past the end of the file.
    const last = rewriteHeader(bytes, (header) => {
      const lastName = Object.keys(header)
        .filter((n) => n !== '__metadata__')
        .sort((a, b) => header[a]!.data_offsets[0]! - header[b]!.data_offsets[0]!)
        .at(-1)!;
      const [begin, end] = header[lastName]!.data_offsets;
      header[lastName]!.data_offsets = [begin! + 4, end! + 4];
    });
    expect(() => decodeSafetensors(last)).toThrow(/does not fit shape .* or the file/);
    // Three offsets, or one.
    for (const offsets of [[0, 4, 8], [0]]) {
      const malformed = rewriteHeader(bytes, (header) => {
        header.wte.data_offsets = offsets;
      });
      expect(() => decodeSafetensors(malformed)).toThrow(/tensor wte: unsupported or malformed entry/);
    }
    // A header length beyond the file.
    const longHeader = Buffer.from(bytes);
    longHeader.writeBigUInt64LE(BigInt(bytes.length), 0);
    expect(() => decodeSafetensors(longHeader)).toThrow(/header length \d+ runs past the end of the file/);
    const hugeHeader = Buffer.from(bytes);
    hugeHeader.writeBigUInt64LE(2n ** 63n, 0);
    expect(() => decodeSafetensors(hugeHeader)).toThrow(/runs past the end of the file/);
  });

  it('names the file when model.safetensors is missing, and model.json when the config is bad', async () => {
    const dir = await savedDir();
    await rm(path.join(dir, WEIGHTS_FILE));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(path.join(dir, WEIGHTS_FILE));
    const configPath = path.join(dir, CONFIG_FILE);
    await writeFile(configPath, JSON.stringify({ ...tinyConfig, heads: 3 }));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(configPath);
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/heads/);
  });

  it('names the file and the tensor when the weights do not match model.json', async () => {
    const dir = await savedDir();
    const configPath = path.join(dir, CONFIG_FILE);
    const bigger: ModelConfig = { ...tinyConfig, vocabSize: tinyConfig.vocabSize + 1 };
    await writeFile(configPath, JSON.stringify(bigger));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(path.join(dir, WEIGHTS_FILE));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/wte has shape/);
    await writeFile(configPath, JSON.stringify({ ...tinyConfig, kind: 'reward' }));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/missing reward\.w/);
  });

  it('rejects non-finite weights', async () => {
    const dir = await savedDir();
    const weights = tinyWeights(10);
    weights.get('ln_f.b')!.data.fill(NaN);
    await writeFile(path.join(dir, WEIGHTS_FILE), encodeTensors(weights));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(path.join(dir, WEIGHTS_FILE));
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/ln_f\.b holds a non-finite value/);
  });

  it('does not leak tensors when loading fails', async () => {
    const dir = await savedDir();
    await writeFile(path.join(dir, CONFIG_FILE), JSON.stringify({ ...tinyConfig, layers: 1 }));
    const before = tf.memory().numTensors;
    await expect(loadCheckpoint(dir, tfjs)).rejects.toThrow(/unexpected h\.1\./);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('defaults to the process engine, and says so when none was chosen', async () => {
    const dir = await savedDir();
    await expect(loadCheckpoint(dir)).rejects.toThrow(/no compute engine yet: call initEngine\(\) first/);
  });
});
