import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activeEngine } from './engine/select.ts';
import type { Engine, Model, NamedTensor } from './engine/types.ts';
import { checkWeights, parameterShapes } from './engine/weights.ts';
import { validateModelConfig, type ModelConfig } from './model-config.ts';

/**
 * Checkpoints are safetensors (an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw little-endian data), so PyTorch and numpy users can load our weights.
 * The model config sits beside them as model.json.
 */
export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'model.json';

interface HeaderEntry {
  dtype: 'F32';
  shape: number[];
  data_offsets: [number, number];
}

/** The model's own parameters (a PPO value head is not part of the policy's checkpoint) and model.json. */
export async function saveCheckpoint(model: Model, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, WEIGHTS_FILE), encodeSafetensors(model));
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(model.config, null, 2)}\n`);
}

/** Reads a checkpoint into a model on `engine` (the process's engine by default), with optional extra heads. */
export async function loadCheckpoint(dir: string, engine: Engine = activeEngine(), extraHeads: readonly string[] = []): Promise<Model> {
  const { config, weights } = await readCheckpoint(dir);
  const extra = new Map(weights);
  for (const head of extraHeads) {
    extra.set(`${head}.w`, { shape: [config.dModel, 1], data: new Float32Array(config.dModel) });
    extra.set(`${head}.b`, { shape: [1], data: new Float32Array(1) });
  }
  return engine.createModel(config, extra, extraHeads);
}

/** A checkpoint's config and weights as plain arrays, checked against each other. */
export async function readCheckpoint(dir: string): Promise<{ config: ModelConfig; weights: Map<string, NamedTensor> }> {
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  let config: ModelConfig;
  try {
    config = validateModelConfig(JSON.parse(await readFile(configPath, 'utf8')) as ModelConfig);
  } catch (error) {
    throw new Error(`cannot read model config ${configPath}: ${(error as Error).message}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(weightsPath);
  } catch (error) {
    throw new Error(`cannot read checkpoint ${weightsPath}: ${(error as Error).message}`);
  }
  try {
    const weights = decodeSafetensors(bytes);
    checkWeights(parameterShapes(config), weights);
    return { config, weights };
  } catch (error) {
    throw new Error(`corrupt checkpoint ${weightsPath}: ${(error as Error).message}`);
  }
}

/** The checkpoint bytes of a model: its config's parameters only, without extra heads. */
export function encodeSafetensors(model: Model, metadata: Record<string, string> = {}): Uint8Array {
  const own = parameterShapes(model.config);
  const weights = new Map([...model.weights()].filter(([name]) => own.has(name)));
  return encodeTensors(weights, metadata);
}

/** Any named float32 tensors as safetensors (optimizer moments, a value head), in sorted-name order. */
export function encodeTensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  const chunks: Float32Array[] = [];
  let offset = 0;
  // Sorted names, so the same weights always give the same bytes.
  for (const name of [...tensors.keys()].sort()) {
    const { shape, data } = tensors.get(name)!;
    if (!(data instanceof Float32Array)) throw new Error(`tensor ${name} is not float32; safetensors here holds float32 only`);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${name} holds ${data.length} values for shape [${shape}]`);
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    chunks.push(data);
    offset += data.byteLength;
  }
  header.__metadata__ = { format: 'pt', ...metadata };
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The format pads the header with spaces to 8-byte alignment (bytes, not characters).
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(littleEndianBytes(chunk), position);
    position += chunk.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): Map<string, NamedTensor> {
  if (bytes.length < 8) throw new Error(`file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw new Error(`header length ${headerLength} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    throw new Error('header is not valid JSON');
  }
  const dataStart = 8 + headerLength;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('header is not a JSON object');
  const tensors = new Map<string, NamedTensor>();
  const ranges = readTensors(header, bytes, dataStart, tensors);
  checkTiling(ranges, bytes.length - dataStart);
  return tensors;
}

/**
 * The tensors' byte ranges must cover the data section exactly, in some order, with no overlap and no gap (as the
 * safetensors format requires): an overlap would read one tensor's bytes as another's, a gap hides unread bytes.
 */
function checkTiling(ranges: { name: string; begin: number; end: number }[], dataBytes: number): void {
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const { name, begin, end } of sorted) {
    if (begin < covered) throw new Error(`tensor ${name}: data_offsets [${begin}, ${end}] overlap another tensor's bytes (which end at ${covered})`);
    if (begin > covered) throw new Error(`tensor ${name}: data_offsets [${begin}, ${end}] leave bytes [${covered}, ${begin}) of the data section unused`);
    covered = end;
  }
  if (covered !== dataBytes)
    throw new Error(`the tensors cover ${covered} of the ${dataBytes} bytes after the header: ${dataBytes - covered} bytes belong to no tensor`);
}

function readTensors(
  header: Record<string, unknown>,
  bytes: Uint8Array,
  dataStart: number,
  tensors: Map<string, NamedTensor>,
): { name: string; begin: number; end: number }[] {
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as Partial<HeaderEntry>;
    if (entry.dtype !== 'F32' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets) || entry.data_offsets.length !== 2) {
      const shown = JSON.stringify(raw) ?? String(raw);
      throw new Error(`tensor ${name.slice(0, 200)}: unsupported or malformed entry ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`);
    }
    const [begin, end] = entry.data_offsets;
    if (!entry.shape.every((n) => Number.isSafeInteger(n) && n >= 0))
      throw new Error(`tensor ${name}: shape [${entry.shape}] is not a list of non-negative integers`);
    // Offsets are relative to the end of the header: a negative one would read header bytes as weights.
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
      throw new Error(`tensor ${name}: data_offsets [${begin}, ${end}] must be integers with 0 ≤ begin ≤ end`);
    }
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.length) {
      throw new Error(`tensor ${name}: byte range [${begin}, ${end}) does not fit shape [${entry.shape}] or the file (truncated?)`);
    }
    const values = new Float32Array(count);
    const source = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    for (let i = 0; i < count; i++) values[i] = source.getFloat32(i * 4, true);
    for (const value of values) if (!Number.isFinite(value)) throw new Error(`tensor ${name} holds a non-finite value`);
    tensors.set(name, { shape: [...entry.shape], data: values });
    ranges.push({ name, begin, end });
  }
  return ranges;
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
