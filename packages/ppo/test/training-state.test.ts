import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { createEngine, initWeights, type Engine, type Model, type ModelConfig } from '@goodhart/model';
import { VALUE_HEAD } from '../src/batch.ts';
import { loadTrainingState, saveTrainingState } from '../src/training-state.ts';

const config: ModelConfig = { kind: 'lm', vocabSize: 40, contextLength: 16, layers: 1, dModel: 8, heads: 2, mlpRatio: 2 };
const FINGERPRINT = 'f'.repeat(64);
let engine: Engine;
let work: string;
const models: Model[] = [];

beforeAll(async () => {
  engine = await createEngine('tfjs', 'wasm');
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ppo-training-state-'));
});
afterEach(async () => {
  for (const model of models.splice(0)) model.dispose();
  await rm(work, { recursive: true, force: true });
});

function policy(seed: number): Model {
  const model = engine.createModel(config, initWeights(config, Rng.fromSeed(seed, 'training-state-test'), [VALUE_HEAD]), [VALUE_HEAD]);
  models.push(model);
  return model;
}

/** Checkpoints at iterations 2 and 4 (different weights), as a run with checkpointEvery 2 leaves them. */
async function twoCheckpoints(): Promise<void> {
  await saveTrainingState(work, FINGERPRINT, { iteration: 2, evalSamples: [], trainRows: [] }, policy(2));
  await saveTrainingState(work, FINGERPRINT, { iteration: 4, evalSamples: [], trainRows: [] }, policy(4));
}

async function flipByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  const at = bytes.length - 3; // in the tensor data, past the header
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(path, bytes);
}

async function load(logs: string[]): Promise<number | undefined> {
  const restored = await loadTrainingState(work, FINGERPRINT, engine, (line) => logs.push(line));
  if (restored) models.push(restored.policy);
  return restored?.iteration;
}

describe('PPO resume checkpoints are hashed', () => {
  it('an intact checkpoint resumes from the newest, silently', async () => {
    await twoCheckpoints();
    const logs: string[] = [];
    expect(await load(logs)).toBe(4);
    expect(logs).toEqual([]);
    const restored = await loadTrainingState(work, FINGERPRINT, engine, () => {});
    models.push(restored!.policy);
    expect(restored!.policy.weights().get('wte')?.data).toEqual(policy(4).weights().get('wte')?.data);
  });

  it('a flipped byte in the saved policy is refused with a warning; the run goes back to the previous checkpoint', async () => {
    await twoCheckpoints();
    await flipByte(join(work, 'current', 'policy.safetensors'));
    const logs: string[] = [];
    expect(await load(logs)).toBe(2);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^warning: refusing the corrupt PPO checkpoint in .*current: policy\.safetensors has sha256 [0-9a-f]{64}, its complete marker records [0-9a-f]{64}$/,
    );
  });

  it('with every checkpoint damaged the run starts over, saying so', async () => {
    await twoCheckpoints();
    await flipByte(join(work, 'current', 'trainer.safetensors'));
    await writeFile(join(work, 'previous', 'state.json'), '{"iteration": 3}');
    const logs: string[] = [];
    expect(await load(logs)).toBeUndefined();
    expect(logs).toEqual([
      expect.stringMatching(/refusing the corrupt PPO checkpoint in .*current: trainer\.safetensors has sha256/),
      expect.stringMatching(/refusing the corrupt PPO checkpoint in .*previous: state\.json has sha256/),
      `warning: no intact PPO checkpoint in ${work}; starting the run over`,
    ]);
  });

  it('a checkpoint without recorded hashes (an older format) is not trusted', async () => {
    await saveTrainingState(work, FINGERPRINT, { iteration: 2, evalSamples: [], trainRows: [] }, policy(2));
    await writeFile(join(work, 'current', 'complete'), '');
    const logs: string[] = [];
    expect(await load(logs)).toBeUndefined();
    expect(logs[0]).toMatch(/refusing the corrupt PPO checkpoint in .*current: its complete marker records no hashes/);
    expect(existsSync(join(work, 'current'))).toBe(true); // nothing deleted: the next save replaces it
  });
});
