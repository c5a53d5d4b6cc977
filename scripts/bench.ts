import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipeline, openStage, parseCell, ppoRuns, readParquetFile, Rng, runName, stageOutputDir, workspaceRoot, type PipelineConfig } from '@goodhart/core';
import { HumanLabeller } from '@goodhart/gold';
import {
  defaultAdamW,
  initEngineFromFlags,
  languageModelStep,
  readPretrainArtifacts,
  REWARD_HEAD,
  sample,
  scoreSequences,
  tokenBatch,
  trainStep,
  type Engine,
  type Model,
} from '@goodhart/model';
import { loadBrownCorpus } from '@goodhart/pretrain';
import { PpoTrainer, VALUE_HEAD, hyperparametersFor } from '@goodhart/ppo';
import { pairSequences, pairwiseLoss, type ComparisonRow } from '@goodhart/proxy';
import { benchEngines, throughput } from './bench/engines.ts';
import { randomModels } from './bench/random-models.ts';

/**
 * `npm run bench`: both engines side by side on the PyTorch yardstick's work, then the throughput of the pieces on the
 * selected engine — policy training and sampling, gold scoring,
 * proxy RM training, best-of-n pool sampling and proxy scoring, PPO iterations and rollouts. A benchmark, not a test: numbers vary with the machine and its load. Uses the preset's
 * artifacts where they exist (run the pipeline first for real weights and texts).
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    'engines-only': { type: 'boolean', default: false },
    // 'cpu': the engine lines per CPU-second of the process (for a machine other work is loading)
    clock: { type: 'string', default: 'wall' },
  },
});
const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const budgetMs = Number(values.seconds) * 1000;
const rng = Rng.fromSeed(config.seed, 'bench');
const hasPretrain = existsSync(join(stageOutputDir(root, config.name, 'pretrain'), 'manifest.json'));
const pretrained = hasPretrain ? await readPretrainArtifacts(await openStage(root, config.name, 'pretrain')) : undefined;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

if (values.clock !== 'wall' && values.clock !== 'cpu') throw new Error(`--clock: got ${JSON.stringify(values.clock)}; allowed: wall, cpu`);
await benchEngines({ seconds: Number(values.seconds), say, clock: values.clock });
if (values['engines-only']) process.exit(0);
const engine: Engine = await initEngineFromFlags('bench', values);
say(`\nstages on ${engine.description}:`);
if (!pretrained) say(`(no pretrained ${config.name} models yet: benchmarking freshly initialised ones of the same shapes)`);

const random = randomModels(engine, config, rng);

async function languageModel(size: string, extraHeads: readonly string[] = []): Promise<Model> {
  return pretrained ? pretrained.loadLanguageModel(size, extraHeads) : random.languageModel(size, extraHeads);
}

async function rewardModel(size: string, headRng: Rng): Promise<Model> {
  return pretrained ? pretrained.loadRewardModel(size, headRng) : random.rewardModel(size, headRng);
}

async function benchPolicy(cfg: PipelineConfig): Promise<void> {
  const size = cfg.policy.sizes[0];
  const model = await languageModel(size);
  const hyper = cfg.pretrain;
  const width = hyper.contextLength + 1;
  const vocab = model.config.vocabSize;
  say(`policy "${size}": ${model.config.layers} layers, d ${model.config.dModel}, ${model.config.heads} heads, vocab ${vocab}`);
  const training = throughput(budgetMs, () => {
    languageModelStep(
      model,
      Int32Array.from({ length: hyper.batchSize * width }, () => 1 + rng.int(vocab - 1)),
      hyper.batchSize,
      width,
      1e-5,
      defaultAdamW,
    );
    return hyper.batchSize * hyper.contextLength;
  });
  const newTokens = Math.min(cfg.label.responseTokens, hyper.contextLength - 8);
  const sampling = throughput(budgetMs, () => {
    const prompts = Array.from({ length: 32 }, () => Array.from({ length: 8 }, () => 1 + rng.int(vocab - 1)));
    return sample(model, prompts, { maxNewTokens: newTokens, temperature: 1 }, rng).tokens.reduce((n, row) => n + row.length, 0);
  });
  model.dispose();
  say(`  training: ${Math.round(training).toLocaleString('en-US')} tokens/s (batch ${hyper.batchSize} × ${hyper.contextLength})`);
  say(`  sampling: ${Math.round(sampling).toLocaleString('en-US')} tokens/s (batch 32, ${newTokens} new tokens, KV cache)`);
}

async function benchGold(cfg: PipelineConfig): Promise<void> {
  const samplesPath = join(stageOutputDir(root, cfg.name, 'label'), 'samples.parquet');
  let texts: string[];
  let source: string;
  if (existsSync(samplesPath)) {
    const table = await readParquetFile(samplesPath);
    const column = table.getChild('response')!;
    texts = Array.from({ length: table.numRows }, (_, i) => String(column.get(i)));
    source = 'initial-policy responses';
  } else {
    texts = loadBrownCorpus({ maxDocuments: 50 })
      .flatMap((d) => d.sentences)
      .slice(0, 5000);
    source = 'Brown sentences';
  }
  const scorer = new HumanLabeller(cfg.gold);
  let index = 0;
  const rate = throughput(budgetMs, () => {
    for (let i = 0; i < 200; i++) scorer.score(texts[index++ % texts.length]);
    return 200;
  });
  say(`human labeller (lexicon): ${Math.round(rate).toLocaleString('en-US')} texts/s (${source})`);
}

async function benchProxy(cfg: PipelineConfig): Promise<void> {
  const sizes = cfg.proxy.grid.sizes;
  const vocab = pretrained?.tokenizer.vocabSize ?? cfg.tokenizer.vocabSize;
  const response = (): number[] => Array.from({ length: cfg.label.responseTokens }, () => 1 + rng.int(vocab - 1));
  const pairs: ComparisonRow[] = Array.from({ length: 256 }, () => ({
    promptTokens: Array.from({ length: 10 }, () => 1 + rng.int(vocab - 1)),
    tokensA: response(),
    tokensB: response(),
    preferred: rng.int(2) === 0 ? 0 : 1,
    goldPreferred: 0,
    goldA: 0,
    goldB: 0,
    humanPreferred: 0,
  }));
  for (const size of sizes) {
    const rm = await rewardModel(size, rng.fork(`rm/${size}`));
    const batch = cfg.proxy.training.batchSize;
    let offset = 0;
    const rate = throughput(budgetMs / sizes.length, () => {
      const rows = pairs.slice(offset, offset + batch);
      offset = (offset + batch) % (pairs.length - batch);
      trainStep(rm, tokenBatch(pairSequences(rows)), { heads: 'last' }, (out) => pairwiseLoss(out.heads[REWARD_HEAD], rows), 1e-5, defaultAdamW);
      return batch;
    });
    rm.dispose();
    say(
      `proxy RM training "${size}": ${Math.round(rate).toLocaleString('en-US')} comparisons/s (batch ${batch}, prompt 10 + response ${cfg.label.responseTokens} tokens)`,
    );
  }
}

/** Best-of-n: pool sampling (all rows of a batch share one prompt, as in the bon stage) and proxy scoring. */
async function benchBestOfN(cfg: PipelineConfig): Promise<void> {
  const policy = await languageModel(cfg.policy.sizes[0]);
  const vocab = policy.config.vocabSize;
  const stopToken = pretrained?.tokenizer.endOfText ?? 0;
  const batch = cfg.bon.pool.batchSize;
  const poolRate = throughput(budgetMs, () => {
    const prompt = Array.from({ length: 10 }, () => 1 + rng.int(vocab - 1));
    const rows = Array.from({ length: batch }, () => prompt);
    return sample(policy, rows, { maxNewTokens: cfg.label.responseTokens, temperature: cfg.label.temperature, stopToken }, rng).tokens.reduce(
      (n, row) => n + row.length,
      0,
    );
  });
  policy.dispose();
  say(
    `best-of-n pool sampling: ${Math.round(poolRate).toLocaleString('en-US')} tokens/s (batch ${batch} of one prompt, up to ${cfg.label.responseTokens} new tokens)`,
  );
  const sequences = Array.from({ length: cfg.bon.scoring.batchSize * 4 }, () =>
    Array.from({ length: 10 + 1 + rng.int(cfg.label.responseTokens) }, () => 1 + rng.int(vocab - 1)),
  );
  for (const size of cfg.proxy.grid.sizes) {
    const rm = await rewardModel(size, rng.fork(`score/${size}`));
    const rate = throughput(budgetMs / cfg.proxy.grid.sizes.length, () => {
      scoreSequences(rm, sequences, cfg.bon.scoring.batchSize);
      return sequences.length;
    });
    rm.dispose();
    say(
      `best-of-n proxy scoring "${size}": ${Math.round(rate).toLocaleString('en-US')} sequences/s (batch ${cfg.bon.scoring.batchSize}, 11–${10 + cfg.label.responseTokens} tokens)`,
    );
  }
}

/** PPO iterations per second and rollout tokens per second for the preset's first run (a fresh RM of its size). */
async function benchPpo(cfg: PipelineConfig): Promise<void> {
  const run = ppoRuns(cfg)[0];
  if (!run) {
    say('ppo: the preset has no PPO runs');
    return;
  }
  const policy = await languageModel(run.policy, [VALUE_HEAD]);
  const reference = await languageModel(run.policy);
  const rm = await rewardModel(parseCell(run.cell, cfg).size, rng.fork('ppo/rm'));
  const hyper = hyperparametersFor(cfg, run, pretrained?.tokenizer.endOfText ?? 0);
  let tokens = 0;
  const trainer = new PpoTrainer(
    policy,
    reference,
    (prompts, responses) => {
      tokens += responses.reduce((n, r) => n + r.length, 0);
      return scoreSequences(
        rm,
        prompts.map((p, b) => [...p, ...responses[b]]),
        hyper.batchSize,
      );
    },
    hyper,
  );
  const vocab = policy.config.vocabSize;
  const started = performance.now();
  const rate = throughput(budgetMs, () => {
    trainer.iteration(
      Array.from({ length: hyper.batchSize }, () => Array.from({ length: 8 }, () => 1 + rng.int(vocab - 1))),
      rng.fork('ppo/iteration'),
    );
    return 1;
  });
  const tokensPerSecond = tokens / ((performance.now() - started) / 1000);
  const rolloutRate = throughput(budgetMs / 2, () => {
    const prompts = Array.from({ length: hyper.batchSize }, () => Array.from({ length: 8 }, () => 1 + rng.int(vocab - 1)));
    return sample(policy, prompts, { maxNewTokens: hyper.maxNewTokens, temperature: hyper.temperature, stopToken: hyper.stopToken }, rng).tokens.reduce(
      (n, row) => n + row.length,
      0,
    );
  });
  for (const model of [policy, reference, rm]) model.dispose();
  say(
    `ppo ${runName(run)}: ${rate.toFixed(2)} iterations/s (${hyper.batchSize} rollouts, ${hyper.epochs} epochs × ${hyper.minibatches} minibatches), ${Math.round(tokensPerSecond).toLocaleString('en-US')} rollout tokens/s end to end (sampling, scoring and updates); rollout sampling alone ${Math.round(rolloutRate).toLocaleString('en-US')} tokens/s`,
  );
}

await benchPolicy(config);
await benchGold(config);
await benchProxy(config);
await benchBestOfN(config);
await benchPpo(config);
