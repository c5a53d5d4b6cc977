import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { cellName, formatDuration, gridCells, loadPipeline, parseCell, ppoRuns, Rng, runName, workspaceRoot, type PipelineConfig } from '@goodhart/core';
import {
  defaultAdamW,
  initEngineFromFlags,
  languageModelStep,
  REWARD_HEAD,
  sample,
  scoreSequences,
  tokenBatch,
  trainStep,
  type Model,
} from '@goodhart/model';
import { hyperparametersFor, PpoTrainer, VALUE_HEAD } from '@goodhart/ppo';
import { throughput } from './bench/engines.ts';
import { randomModels } from './bench/random-models.ts';

/**
 * `npm run estimate -- --preset paper`: the preset's wall time on this machine, predicted from rates measured here
 * (seconds of each unit of work on random weights of the preset's shapes) times the work the preset asks for. Every
 * response is taken at its full token budget (real responses stop earlier), and tasks are spread over the cores as
 * `npm run pipeline` runs them (one engine thread per task, `--parallel` tasks at once), so the figure is an upper
 * estimate of the model work; process start-up, Parquet and gold scoring come on top and are small.
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'paper' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    parallel: { type: 'string', default: String(availableParallelism()) },
  },
});
process.env.GOODHART_THREADS ??= '1';
const config = loadPipeline(values.preset, workspaceRoot());
const engine = await initEngineFromFlags('estimate', values);
const budget = Number(values.seconds) * 1000;
const parallel = Number(values.parallel);
const rng = Rng.fromSeed(config.seed, 'estimate');
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const random = randomModels(engine, config, rng);
const languageModel = (size: string, extraHeads: readonly string[] = []): Model => random.languageModel(size, extraHeads);
const rewardModel = (size: string): Model => random.rewardModel(size, rng.fork(`rm/${size}`));
const tokens = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.int(config.tokenizer.vocabSize - 1));
const promptLength = config.prompts.maxWords + 2;
const sequenceLength = promptLength + config.label.responseTokens;

/** Seconds per call of `work`, measured over the budget. */
function secondsPer(work: () => void): number {
  return 1 / throughput(budget, () => {
    work();
    return 1;
  });
}

const memo = new Map<string, number>();
function measured(key: string, work: () => number): number {
  if (!memo.has(key)) memo.set(key, work());
  return memo.get(key)!;
}

/** Seconds to sample `rows` responses of the full budget from the policy of `size`, in batches of `batch`. */
function samplingSeconds(size: string, rows: number, batch: number): number {
  const perBatch = measured(`sample/${size}/${batch}`, () => {
    const model = languageModel(size);
    const prompt = tokens(promptLength);
    const seconds = secondsPer(() => sample(model, Array.from({ length: batch }, () => prompt), { maxNewTokens: config.label.responseTokens, temperature: 1 }, rng));
    model.dispose();
    return seconds;
  });
  return Math.ceil(rows / batch) * perBatch;
}

/** Seconds to score `rows` full-length sequences with the RM of `size`, in batches of `batch`. */
function scoringSeconds(size: string, rows: number, batch: number): number {
  const perBatch = measured(`score/${size}/${batch}`, () => {
    const model = rewardModel(size);
    const sequences = Array.from({ length: batch }, () => tokens(sequenceLength));
    const seconds = secondsPer(() => scoreSequences(model, sequences, batch));
    model.dispose();
    return seconds;
  });
  return Math.ceil(rows / batch) * perBatch;
}

interface Task {
  stage: string;
  seconds: number;
}

function pretrainTasks(cfg: PipelineConfig): Task[] {
  const { batchSize, contextLength, steps } = cfg.pretrain;
  return cfg.pretrain.sizes.map((size) => {
    const model = languageModel(size);
    const windows = Int32Array.from(tokens(batchSize * (contextLength + 1)));
    const perStep = secondsPer(() => languageModelStep(model, windows, batchSize, contextLength + 1, 1e-5, defaultAdamW));
    model.dispose();
    return { stage: `pretrain ${size}`, seconds: steps * perStep };
  });
}

function proxyTasks(cfg: PipelineConfig): Task[] {
  const { batchSize, epochs, minSteps, centeringSamples } = cfg.proxy.training;
  const validationPairs = Math.round(cfg.label.prompts * cfg.label.validationFraction) * ((cfg.label.samplesPerPrompt * (cfg.label.samplesPerPrompt - 1)) / 2);
  return gridCells(cfg).map((cell) => {
    const name = cellName(cell);
    const perStep = measured(`rm-step/${cell.size}`, () => {
      const model = rewardModel(cell.size);
      const batch = tokenBatch(Array.from({ length: 2 * batchSize }, () => tokens(sequenceLength)));
      const signs = Array.from({ length: batchSize }, (_, i) => (i % 2 === 0 ? 1 : -1));
      const seconds = secondsPer(() =>
        trainStep(model, batch, { heads: 'last' }, (out) => {
          const r = out.heads[REWARD_HEAD];
          const gradient = new Float32Array(r.length);
          signs.forEach((sign, i) => {
            gradient[i] = -sign / batchSize;
            gradient[batchSize + i] = sign / batchSize;
          });
          return { loss: r[0], gradients: { heads: { [REWARD_HEAD]: gradient } } };
        }, 1e-5, defaultAdamW),
      );
      model.dispose();
      return seconds;
    });
    const steps = Math.max(minSteps, Math.ceil(epochs * Math.ceil(cell.comparisons / Math.min(batchSize, cell.comparisons))));
    const evaluation = scoringSeconds(cell.size, 2 * validationPairs + centeringSamples, 2 * batchSize);
    return { stage: `proxy ${name}`, seconds: steps * perStep + evaluation };
  });
}

function bonTasks(cfg: PipelineConfig): Task[] {
  const { prompts, samplesPerPrompt, batchSize } = cfg.bon.pool;
  const pool = prompts * samplesPerPrompt;
  const proxies = cfg.bon.proxies ?? gridCells(cfg).map(cellName);
  return [
    { stage: 'bon pool', seconds: samplingSeconds(cfg.policy.sizes[0], pool, batchSize) },
    ...proxies.map((name) => ({ stage: `bon score ${name}`, seconds: scoringSeconds(parseCell(name, cfg).size, pool, cfg.bon.scoring.batchSize) })),
  ];
}

function ppoTasks(cfg: PipelineConfig): Task[] {
  const ppo = cfg.ppo;
  if (!ppo) return [];
  return ppoRuns(cfg).map((run) => {
    const rmSize = parseCell(run.cell, cfg).size;
    const perIteration = measured(`ppo/${run.policy}/${rmSize}`, () => {
      const policy = languageModel(run.policy, [VALUE_HEAD]);
      const reference = languageModel(run.policy);
      const rm = rewardModel(rmSize);
      const hyper = { ...hyperparametersFor(cfg, run, 0), stopToken: undefined };
      const trainer = new PpoTrainer(policy, reference, (prompts, responses) => scoreSequences(rm, prompts.map((p, b) => [...p, ...responses[b]]), hyper.batchSize), hyper);
      const seconds = secondsPer(() => trainer.iteration(Array.from({ length: hyper.batchSize }, () => tokens(promptLength)), rng));
      for (const model of [policy, reference, rm]) model.dispose();
      return seconds;
    });
    const evalSamples = ppo.eval.prompts * ppo.eval.samplesPerPrompt * ppo.eval.points;
    const evaluation = samplingSeconds(run.policy, evalSamples, ppo.batchSize) + scoringSeconds(rmSize, evalSamples, ppo.batchSize);
    return { stage: `ppo ${runName(run)}`, seconds: ppo.iterations * perIteration + evaluation };
  });
}

say(`estimating preset "${config.name}" on ${engine.description}, ${values.parallel} tasks at once; ${values.seconds} s per measured rate`);
const groups: [string, Task[]][] = [
  ['pretrain', pretrainTasks(config)],
  ['label', [{ stage: 'label', seconds: samplingSeconds(config.policy.sizes[0], config.label.prompts * config.label.samplesPerPrompt, config.label.batchSize) }]],
  ['proxy', proxyTasks(config)],
  ['bon', bonTasks(config)],
  ['ppo', ppoTasks(config)],
];
let total = 0;
for (const [stage, tasks] of groups) {
  const seconds = tasks.reduce((sum, task) => sum + task.seconds, 0);
  const longest = tasks.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  // Tasks of a stage run `parallel` at a time; the stage takes at least its longest task.
  const wall = Math.max(seconds / Math.min(parallel, tasks.length), longest.seconds);
  total += wall;
  say(`  ${stage.padEnd(9)} ${String(tasks.length).padStart(3)} task(s), ${formatDuration(seconds).padStart(8)} of compute, about ${formatDuration(wall)} wall (longest: ${longest.stage}, ${formatDuration(longest.seconds)})`);
}
say(`estimated wall time: ${formatDuration(total)} (stages one after another; Nx overlaps independent ones, so the real run is somewhat shorter)`);
