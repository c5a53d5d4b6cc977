import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  findDpoRun,
  findRun,
  formatDuration,
  goldTrainingPairsBound,
  loadPipeline,
  parseCell,
  proxyIdentity,
  scorersOf,
  pipelineTasks,
  Rng,
  runName,
  workspaceRoot,
  type PipelineConfig,
  type StageId,
} from '@goodhart/core';
import { defaultAdamW, initEngineFromFlags, languageModelStep, REWARD_HEAD, sample, scoreSequences, tokenBatch, trainStep, type Model } from '@goodhart/model';
import { DpoTrainer } from '@goodhart/dpo';
import { hyperparametersFor, PpoTrainer, VALUE_HEAD } from '@goodhart/ppo';
import { throughput } from './bench/engines.ts';
import { randomModels } from './bench/random-models.ts';

/**
 * `npm run estimate -- --preset paper`: the preset's wall time on this machine, predicted from rates measured here
 * (seconds of each unit of work on random weights of the preset's shapes) times the work the preset asks for. Every
 * response is taken at its full token budget (real responses stop earlier), and tasks are spread over the cores as
 * `npm run pipeline` runs them (one engine thread per task, `--parallel` tasks at once), so the figure is an upper
 * estimate of the model work; process start-up, Parquet and the human's (lexicon) scoring come on top and are small.
 * With gold.kind "model" the gold RM's training and its scoring of label's samples, the pool and PPO's evaluation
 * samples are counted.
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'paper' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    parallel: { type: 'string', default: String(availableParallelism()) },
    /** Also list every task's estimate (to see which sizes and cells cost the most). */
    tasks: { type: 'boolean', default: false },
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
  return (
    1 /
    throughput(budget, () => {
      work();
      return 1;
    })
  );
}

const memo = new Map<string, number>();
function measured(key: string, work: () => number): number {
  if (!memo.has(key)) memo.set(key, work());
  return memo.get(key)!;
}

/** Seconds to sample `rows` responses of the full budget (`responseTokens`) from the policy of `size`, in batches of `batch`. */
function samplingSeconds(size: string, rows: number, batch: number, responseTokens = config.label.responseTokens): number {
  const perBatch = measured(`sample/${size}/${batch}/${responseTokens}`, () => {
    const model = languageModel(size);
    const prompt = tokens(promptLength);
    const seconds = secondsPer(() =>
      sample(
        model,
        Array.from({ length: batch }, () => prompt),
        { maxNewTokens: responseTokens, temperature: 1 },
        rng,
      ),
    );
    model.dispose();
    return seconds;
  });
  return Math.ceil(rows / batch) * perBatch;
}

/** Seconds to score `rows` sequences of `length` tokens with the RM of `size`, in batches of `batch`. */
function scoringSeconds(size: string, rows: number, batch: number, length = sequenceLength): number {
  const perBatch = measured(`score/${size}/${batch}/${length}`, () => {
    const model = rewardModel(size);
    const sequences = Array.from({ length: batch }, () => tokens(length));
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

/** Seconds of one pairwise RM training step: `batchSize` pairs of `length`-token sequences on the RM of `size`. */
function rewardStepSeconds(size: string, batchSize: number, length = sequenceLength): number {
  return measured(`rm-step/${size}/${batchSize}/${length}`, () => {
    const model = rewardModel(size);
    const batch = tokenBatch(Array.from({ length: 2 * batchSize }, () => tokens(length)));
    const signs = Array.from({ length: batchSize }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const seconds = secondsPer(() =>
      trainStep(
        model,
        batch,
        { heads: 'last' },
        (out) => {
          const r = out.heads[REWARD_HEAD];
          const gradient = new Float32Array(r.length);
          signs.forEach((sign, i) => {
            gradient[i] = -sign / batchSize;
            gradient[batchSize + i] = sign / batchSize;
          });
          return { loss: r[0], gradients: { heads: { [REWARD_HEAD]: gradient } } };
        },
        1e-5,
        defaultAdamW,
      ),
    );
    model.dispose();
    return seconds;
  });
}

/**
 * The gold RM (gold.kind "model"): sampling every temperature × length (time taken as proportional to the length
 * budget), training on the most comparisons the config allows (ties are few), scoring every sample before and after.
 */
function goldRmTasks(cfg: PipelineConfig): Task[] {
  const gold = cfg.gold.model;
  if (cfg.gold.kind !== 'model' || !gold) return [];
  const perLength = gold.prompts * gold.temperatures.length * gold.samplesPerSetting;
  const sampling = gold.responseTokens.reduce((sum, length) => sum + samplingSeconds(cfg.policy.sizes[0], perLength, gold.sampleBatchSize, length), 0);
  const meanLength = promptLength + Math.round(gold.responseTokens.reduce((a, b) => a + b, 0) / gold.responseTokens.length);
  const pairs = goldTrainingPairsBound(cfg);
  const { batchSize, epochs, minSteps } = gold.training;
  const steps = Math.max(minSteps, Math.ceil(epochs * Math.ceil(pairs / Math.min(batchSize, pairs))));
  const training = steps * rewardStepSeconds(gold.size, batchSize, meanLength);
  const scoring = 2 * scoringSeconds(gold.size, perLength * gold.responseTokens.length, gold.scoringBatchSize, meanLength);
  return [{ stage: `gold-rm ${gold.size} (${steps} steps)`, seconds: sampling + training + scoring }];
}

/** Seconds for the gold RM to score `rows` responses (0 when the human is the gold: the lexicon is cheap). */
function goldScoringSeconds(cfg: PipelineConfig, rows: number): number {
  const gold = cfg.gold.model;
  return cfg.gold.kind === 'model' && gold ? scoringSeconds(gold.size, rows, gold.scoringBatchSize) : 0;
}

function labelTask(cfg: PipelineConfig): Task {
  const samples = cfg.label.prompts * cfg.label.samplesPerPrompt;
  return { stage: 'label', seconds: samplingSeconds(cfg.policy.sizes[0], samples, cfg.label.batchSize) + goldScoringSeconds(cfg, samples) };
}

function proxyTask(cfg: PipelineConfig, cellUnit: string): Task {
  const cell = parseCell(cellUnit, cfg);
  const { batchSize, epochs, minSteps, centeringSamples } = cfg.proxy.training;
  const validationPairs = Math.round(cfg.label.prompts * cfg.label.validationFraction) * ((cfg.label.samplesPerPrompt * (cfg.label.samplesPerPrompt - 1)) / 2);
  const perStep = rewardStepSeconds(cell.size, batchSize);
  const steps = Math.max(minSteps, Math.ceil(epochs * Math.ceil(cell.comparisons / Math.min(batchSize, cell.comparisons))));
  const evaluation = scoringSeconds(cell.size, 2 * validationPairs + centeringSamples, 2 * batchSize);
  return { stage: `proxy ${cellUnit}`, seconds: steps * perStep + evaluation };
}

function poolSamples(cfg: PipelineConfig): number {
  return cfg.bon.pool.prompts * cfg.bon.pool.samplesPerPrompt;
}

function poolTask(cfg: PipelineConfig): Task {
  const pool = poolSamples(cfg);
  return { stage: 'bon pool', seconds: samplingSeconds(cfg.policy.sizes[0], pool, cfg.bon.pool.batchSize) + goldScoringSeconds(cfg, pool) };
}

function scoreTask(cfg: PipelineConfig, cellUnit: string): Task {
  return { stage: `bon score ${cellUnit}`, seconds: scoringSeconds(proxyIdentity(cellUnit, cfg).size, poolSamples(cfg), cfg.bon.scoring.batchSize) };
}

/** A weight average: reading and averaging the members is quick; centring scores the centring samples once. */
function averageTask(cfg: PipelineConfig, source: string): Task {
  const { batchSize, centeringSamples } = cfg.proxy.training;
  return { stage: `proxy ${source}`, seconds: scoringSeconds(proxyIdentity(source, cfg).size, centeringSamples, 2 * batchSize) };
}

function ppoTask(cfg: PipelineConfig, runUnit: string): Task {
  const ppo = cfg.ppo;
  if (!ppo) throw new Error(`PPO run ${runUnit} without a ppo section`);
  const run = findRun(runUnit, cfg);
  const rmSize = proxyIdentity(run.cell, cfg).size;
  // An ensemble's members each score every rollout and evaluation sample; the measured iteration scores with one.
  const rewardModels = scorersOf(run.cell, cfg.sources ?? {}).length;
  const perIteration = measured(`ppo/${run.policy}/${rmSize}`, () => {
    const policy = languageModel(run.policy, [VALUE_HEAD]);
    const reference = languageModel(run.policy);
    const rm = rewardModel(rmSize);
    const hyper = { ...hyperparametersFor(cfg, run, 0), stopToken: undefined };
    const trainer = new PpoTrainer(
      policy,
      reference,
      (prompts, responses) =>
        scoreSequences(
          rm,
          prompts.map((p, b) => [...p, ...responses[b]]),
          hyper.batchSize,
        ),
      hyper,
    );
    const seconds = secondsPer(() =>
      trainer.iteration(
        Array.from({ length: hyper.batchSize }, () => tokens(promptLength)),
        rng,
      ),
    );
    for (const model of [policy, reference, rm]) model.dispose();
    return seconds;
  });
  const evalSamples = ppo.eval.prompts * ppo.eval.samplesPerPrompt * ppo.eval.points;
  const evaluation =
    samplingSeconds(run.policy, evalSamples, ppo.batchSize) +
    rewardModels * scoringSeconds(rmSize, evalSamples, ppo.batchSize) +
    goldScoringSeconds(cfg, evalSamples);
  const extraScoring = (rewardModels - 1) * scoringSeconds(rmSize, ppo.batchSize, ppo.batchSize);
  return { stage: `ppo ${runName(run)}`, seconds: ppo.iterations * (perIteration + extraScoring) + evaluation };
}

/**
 * One DPO run: a forward of the reference over every training and held-out comparison, steps of `batchSize`
 * comparisons (each a train forward and backward over 2·batchSize sequences), and its evaluations (sampling, the
 * policy's and the reference's forwards, the gold's scoring, the held-out comparisons' forward).
 */
function dpoTask(cfg: PipelineConfig, runUnit: string): Task {
  const dpo = cfg.dpo;
  if (!dpo) throw new Error(`DPO run ${runUnit} without a dpo section`);
  const run = findDpoRun(runUnit, cfg);
  const policySize = cfg.policy.sizes[0];
  const comparisons = parseCell(run.cell, cfg).comparisons;
  const steps = Math.max(1, Math.ceil((dpo.epochs * comparisons) / dpo.batchSize));
  const perStep = measured(`dpo/${policySize}/${dpo.batchSize}`, () => {
    const policy = languageModel(policySize);
    const trainer = new DpoTrainer(policy, { loss: run.loss, beta: run.beta, batchSize: dpo.batchSize, learningRate: 1e-6, weightDecay: 0, gradientClip: 1 });
    const batch = Array.from({ length: dpo.batchSize }, () => ({
      promptTokens: tokens(promptLength),
      chosen: tokens(cfg.label.responseTokens),
      rejected: tokens(cfg.label.responseTokens),
      referenceChosen: 0,
      referenceRejected: 0,
    }));
    const seconds = secondsPer(() => trainer.step(batch));
    policy.dispose();
    return seconds;
  });
  const evalSamples = dpo.eval.prompts * dpo.eval.samplesPerPrompt * dpo.eval.points;
  // A forward of one sequence costs about a third of a training step's share of it; scoring a sequence is a forward.
  const forwards = 2 * (comparisons + dpo.eval.comparisons * (1 + dpo.eval.points)) + 2 * evalSamples;
  const forwardSeconds = scoringSeconds(policySize, forwards, dpo.eval.batchSize);
  const evaluation = samplingSeconds(policySize, evalSamples, dpo.eval.batchSize) + goldScoringSeconds(cfg, evalSamples);
  return { stage: `dpo ${runUnit}`, seconds: steps * perStep + forwardSeconds + evaluation };
}

/** The work of each registry entry's task; entries absent here (summaries, curves, fits) read small tables only. */
const COSTS: Partial<Record<StageId, (unit: string) => Task[]>> = {
  pretrain: () => pretrainTasks(config),
  goldRm: () => goldRmTasks(config),
  label: () => [labelTask(config)],
  proxyCell: (cell) => [proxyTask(config, cell)],
  proxyAverage: (source) => [averageTask(config, source)],
  bonPool: () => [poolTask(config)],
  bonScore: (cell) => [scoreTask(config, cell)],
  ppoRun: (run) => [ppoTask(config, run)],
  dpoRun: (run) => [dpoTask(config, run)],
};

say(`estimating preset "${config.name}" on ${engine.description}, ${values.parallel} tasks at once; ${values.seconds} s per measured rate`);
// The tasks Nx would run, from the stage registry's plan, grouped by package in plan order.
const groups = new Map<string, Task[]>();
for (const task of pipelineTasks(config.name, config)) {
  const cost = COSTS[task.entry as StageId];
  if (!cost) continue;
  groups.set(task.package, [...(groups.get(task.package) ?? []), ...cost(task.unit ?? '')]);
}
let total = 0;
for (const [stage, tasks] of groups) {
  const seconds = tasks.reduce((sum, task) => sum + task.seconds, 0);
  const longest = tasks.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  // Tasks of a stage run `parallel` at a time; the stage takes at least its longest task.
  const wall = Math.max(seconds / Math.min(parallel, tasks.length), longest.seconds);
  total += wall;
  if (values.tasks) for (const task of tasks) say(`      ${task.stage.padEnd(32)} ${formatDuration(task.seconds).padStart(8)}`);
  say(
    `  ${stage.padEnd(9)} ${String(tasks.length).padStart(3)} task(s), ${formatDuration(seconds).padStart(8)} of compute, about ${formatDuration(wall)} wall (longest: ${longest.stage}, ${formatDuration(longest.seconds)})`,
  );
}
say(`estimated wall time: ${formatDuration(total)} (stages one after another; Nx overlaps independent ones, so the real run is somewhat shorter)`);
