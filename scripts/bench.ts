import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { backendLine, initBackend, loadPipeline, openStageOutput, parseBackendChoice, Rng, workspaceRoot } from '@goodhart/core';
import { AdamW, loadCheckpoint, sample, Transformer, type ModelConfig } from '@goodhart/model';

/**
 * `npm run bench`: training and sampling throughput of the preset's policy on this machine's backend. A benchmark,
 * not a test: numbers vary with the machine and its load.
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    backend: { type: 'string' },
    seconds: { type: 'string', default: '15' },
  },
});
const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const backend = await initBackend(parseBackendChoice(values.backend ?? process.env.GOODHART_BACKEND));
const budgetMs = Number(values.seconds) * 1000;
const policyName = config.policy.sizes[0];
const hyper = config.pretrain;

let model: Transformer;
const pretrainDir = join(root, 'artifacts', config.name, 'pretrain');
if (existsSync(join(pretrainDir, 'manifest.json'))) {
  const output = await openStageOutput(pretrainDir, 'pretrain', { hint: `npx nx run pretrain:${config.name}` });
  model = await loadCheckpoint(join(output.dir, 'models', policyName));
} else {
  const modelConfig: ModelConfig = { kind: 'lm', vocabSize: config.tokenizer.vocabSize, contextLength: hyper.contextLength, ...config.models[policyName] };
  model = Transformer.init(modelConfig, Rng.fromSeed(config.seed, 'bench'));
  process.stdout.write(`(no pretrained ${config.name} policy yet: benchmarking a freshly initialised one of the same shape)\n`);
}
const counts = model.parameterCount();
process.stdout.write(`${backendLine(backend)}\n`);
process.stdout.write(
  `policy "${policyName}" (${config.name}): ${model.config.layers} layers, d ${model.config.dModel}, ${model.config.heads} heads, ` +
    `vocab ${model.config.vocabSize}, ${counts.total.toLocaleString('en-US')} parameters\n`,
);

const rng = Rng.fromSeed(config.seed, 'bench/data');
const width = hyper.contextLength + 1;
const batchIds = (): tf.Tensor2D =>
  tf.tensor2d(Int32Array.from({ length: hyper.batchSize * width }, () => 1 + rng.int(model.config.vocabSize - 1)), [hyper.batchSize, width], 'int32');

// Training: forward, backward and AdamW update on batchSize × contextLength tokens.
const optimizer = new AdamW(model.params);
const warm = batchIds();
optimizer.minimize(() => model.lmLoss(warm), 1e-4);
warm.dispose();
let trainSteps = 0;
let started = performance.now();
while (performance.now() - started < budgetMs / 2) {
  const ids = batchIds();
  optimizer.minimize(() => model.lmLoss(ids), 1e-4);
  ids.dispose();
  trainSteps += 1;
}
const trainSeconds = (performance.now() - started) / 1000;
const trainTokensPerSecond = (trainSteps * hyper.batchSize * hyper.contextLength) / trainSeconds;

// Sampling: batched prompts of 8 tokens, 32 new tokens each, with the KV cache.
const promptCount = 32;
const newTokens = Math.min(32, hyper.contextLength - 8);
let sampled = 0;
started = performance.now();
while (performance.now() - started < budgetMs / 2) {
  const prompts = Array.from({ length: promptCount }, () => Array.from({ length: 8 }, () => 1 + rng.int(model.config.vocabSize - 1)));
  const result = sample(model, prompts, { maxNewTokens: newTokens, temperature: 1 }, rng);
  sampled += result.tokens.reduce((n, row) => n + row.length, 0);
}
const sampleSeconds = (performance.now() - started) / 1000;

process.stdout.write(
  [
    `training: ${Math.round(trainTokensPerSecond).toLocaleString('en-US')} tokens/s (${(trainSteps / trainSeconds).toFixed(2)} steps/s, batch ${hyper.batchSize} × ${hyper.contextLength})`,
    `sampling: ${Math.round(sampled / sampleSeconds).toLocaleString('en-US')} tokens/s (batch ${promptCount}, ${newTokens} new tokens, KV cache)`,
    '',
  ].join('\n'),
);
