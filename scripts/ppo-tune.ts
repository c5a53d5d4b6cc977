import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cellName,
  EVAL_PROMPTS_TABLE,
  loadPipeline,
  openStage,
  ppoSchema,
  Progress,
  Rng,
  workspaceRoot,
  type PipelineConfig,
  type PpoConfig,
} from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import { initEngineFromFlags, loadCheckpoint, readPretrainArtifacts, readPromptsFile, saveCheckpoint, scoreSequences, type Model } from '@goodhart/model';
import {
  evaluatePolicy,
  evaluationSteps,
  perPromptMeans,
  hyperparametersFor,
  PpoTrainer,
  rewardScale,
  scheduledLearningRate,
  VALUE_HEAD,
  type PpoHyperparameters,
  type RewardFunction,
} from '@goodhart/ppo';
import { openLabelArtifacts, trainRewardModel } from '@goodhart/proxy';
import { curveShape } from './tuning/curve-shape.ts';
import { developmentCell, developmentSplit } from './tuning/development-split.ts';

/**
 * `npm run tune:ppo -- --preset quick --candidate <name>`: PPO's hyperparameters chosen where no reported curve looks
 * (issue 10: "tune on a development proxy and development prompts that the reported curves do not use").
 *   - The development proxy: an RM of the grid's largest size on its largest comparisons count, with seed
 *     `--dev-seed` (never a grid seed), so no reported best-of-n or PPO curve uses it. `--dev-size` picks another of
 *     the grid's sizes; its records are named <candidate>--<cell>.json.
 *   - The development prompts: the last `--dev-prompts` prompts of pretrain's list, which are neither RM prompts nor
 *     label's evaluation prompts (the reported curves' prompts); rollouts use the remaining prompts.
 * Candidates are the preset's `ppo` section with the overrides in pipelines/tuning/<preset>-ppo-candidates.json.
 * Each result goes to pipelines/tuning/<preset>-ppo/<candidate>.json (the tuning record, committed), with the gold on
 * the development prompts at iteration 0 and on a geometric grid of iterations.
 */
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    candidate: { type: 'string', multiple: true },
    'dev-seed': { type: 'string', default: '1000' },
    'dev-size': { type: 'string' },
    'dev-prompts': { type: 'string', default: '64' },
    points: { type: 'string', default: '8' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
  },
});

/** One candidate: fields of the preset's `ppo` section to change, plus the run's β_KL and policy size. */
interface Candidate {
  name: string;
  why: string;
  overrides: Record<string, unknown>;
}

/** What a candidate trains with, after its overrides are checked by the pipeline's own `ppo` schema. */
interface CandidateSettings {
  ppo: PpoConfig;
  policy: string;
  hyperparameters: PpoHyperparameters;
}

const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const ppo = config.ppo;
if (!ppo) throw new Error(`pipeline "${config.name}" has no ppo section to tune`);
const devSeed = Number(values['dev-seed']);
const devCell = developmentCell(config, devSeed, values['dev-size']);
const devPromptCount = Number(values['dev-prompts']);
if (!Number.isInteger(devPromptCount) || devPromptCount < 8) throw new Error(`--dev-prompts must be an integer ≥ 8; got ${values['dev-prompts']}`);
const evalPoints = Number(values.points);
if (!Number.isInteger(evalPoints) || evalPoints < 3) throw new Error(`--points must be an integer ≥ 3; got ${values.points}`);
const tuningDir = join(root, 'pipelines', 'tuning');
const candidatesPath = join(tuningDir, `${config.name}-ppo-candidates.json`);
if (!existsSync(candidatesPath)) throw new Error(`no candidates at ${candidatesPath}: write one like pipelines/tuning/quick-ppo-candidates.json`);
const candidates = readCandidates(await readFile(candidatesPath, 'utf8'), candidatesPath);
const chosen = values.candidate?.length ? candidates.filter((c) => values.candidate!.includes(c.name)) : candidates;
const unknown = (values.candidate ?? []).filter((name) => !candidates.some((c) => c.name === name));
if (unknown.length > 0) throw new Error(`no candidate ${unknown.join(', ')} in ${candidatesPath}; it has: ${candidates.map((c) => c.name).join(', ')}`);

await initEngineFromFlags('tune', values);
const pretrained = await readPretrainArtifacts(await openStage(root, config.name, 'pretrain'));
const labelled = await openLabelArtifacts(root, config.name);
const label = labelled.output;
const heldOut = new Set((await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file))).map((p) => p.promptId));
// Every candidate's overrides are checked before the development proxy is trained.
const settingsByName = new Map(chosen.map((candidate) => [candidate.name, candidateSettings(candidate)]));
const split = developmentSplit(pretrained.prompts, config.label.prompts, heldOut, devPromptCount, ppo.batchSize);
const devPrompts = split.development;
const rolloutPrompts = split.rollouts.map((p) => p.tokens);
const devProxy = await loadDevProxy(config, cellName(devCell));

const gold = await openGold(root, config);
const units = await readGoldUnits(label);
const goldScore = (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): { gold: number[]; human: number[] } => {
  const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
  return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
};
const proxyScore: RewardFunction = (prompts, responses) =>
  scoreSequences(
    devProxy.model,
    prompts.map((p, b) => [...p, ...responses[b]]),
    256,
  ).map((s) => s + devProxy.shift);
const centering = labelled.samples.slice(0, config.proxy.training.centeringSamples);
const scale = rewardScale(
  proxyScore(
    centering.map((s) => s.promptTokens),
    centering.map((s) => s.responseTokens),
  ),
);

await mkdir(join(tuningDir, `${config.name}-ppo`), { recursive: true });
for (const candidate of chosen) {
  const result = await runCandidate(candidate);
  // Records against the default development proxy keep the candidate's name; others name their proxy too.
  const suffix = values['dev-size'] === undefined ? '' : `--${cellName(devCell)}`;
  const path = join(tuningDir, `${config.name}-ppo`, `${candidate.name}${suffix}.json`);
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `[tune] ${candidate.name}: peak gold ${result.peak.gold.toFixed(3)} at iteration ${result.peak.iteration} (KL ${result.peak.kl.toFixed(2)}), final gold ${result.final.gold.toFixed(3)} (KL ${result.final.kl.toFixed(2)}); RL-form R² ${result.shape.rlFit?.r2.toFixed(3) ?? '—'}, largest KL fall ${(100 * result.shape.largestKlFall).toFixed(0)}% → ${path}\n`,
  );
}
gold.dispose();
devProxy.model.dispose();

async function runCandidate(candidate: Candidate) {
  const settings = settingsByName.get(candidate.name)!;
  const normalise = settings.ppo.rewardNormalisation !== 'none';
  const divisor = normalise ? scale : 1;
  const reward: RewardFunction = (prompts, responses) => Array.from(proxyScore(prompts, responses), (s) => s / divisor);
  return trainCandidate(candidate, settings.policy, settings.ppo, settings.hyperparameters, reward, normalise);
}

/** The preset's `ppo` section with the candidate's overrides, validated as the pipeline file is, and its hyperparameters. */
function candidateSettings(candidate: Candidate): CandidateSettings {
  const { klCoefficient = 0, policy = config.policy.sizes[0], ...changes } = candidate.overrides;
  const parsed = ppoSchema.safeParse({ ...ppo, ...changes });
  if (!parsed.success) {
    const why = parsed.error.issues.map((issue) => `${['ppo', ...issue.path].join('.')}: ${issue.message}`).join('; ');
    throw new Error(`${candidatesPath}: candidate "${candidate.name}" has overrides the ppo section does not allow: ${why}`);
  }
  if (typeof klCoefficient !== 'number' || typeof policy !== 'string') {
    throw new Error(`${candidatesPath}: candidate "${candidate.name}" needs a number klCoefficient and a policy size name`);
  }
  const run = { cell: cellName(devCell), klCoefficient, policy };
  // The PPO stage's own mapping from a config to hyperparameters, so tuning trains exactly as a reported run would.
  return { ppo: parsed.data, policy, hyperparameters: hyperparametersFor({ ...config, ppo: parsed.data }, run, pretrained.tokenizer.endOfText) };
}

interface StepRecord {
  iteration: number;
  kl: number;
  gold: number;
  goldStandardError: number;
  proxy: number;
  human: number;
  responseLength: number;
}

async function trainCandidate(
  candidate: Candidate,
  policySize: string,
  settings: PpoConfig,
  h: PpoHyperparameters,
  reward: RewardFunction,
  normalise: boolean,
) {
  const { iterations } = settings;
  const policy: Model = await pretrained.loadLanguageModel(policySize, [VALUE_HEAD]);
  const reference: Model = await pretrained.loadLanguageModel(policySize);
  const trainer = new PpoTrainer(policy, reference, reward, h);
  const steps = evaluationSteps(iterations, evalPoints);
  const record: StepRecord[] = [];
  const bar = new Progress({ label: `tune ${candidate.name}`, total: iterations, unit: 'iterations' });
  const order = Rng.fromSeed(config.seed, `tune/${policySize}/prompts`).shuffle(Array.from({ length: rolloutPrompts.length }, (_, i) => i));
  for (let i = 0; ; i++) {
    if (steps.includes(i)) {
      const samples = evaluatePolicy(
        policy,
        reference,
        devPrompts,
        { step: i, samplesPerPrompt: 2, batchSize: 64, maxNewTokens: h.maxNewTokens, temperature: h.temperature, stopToken: h.stopToken },
        { proxy: proxyScore, gold: goldScore },
        Rng.fromSeed(config.seed, `tune/eval/${i}`),
      );
      const means = perPromptMeans(samples);
      const mean = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;
      const sd = Math.sqrt(means.gold.reduce((x, g) => x + (g - mean(means.gold)) ** 2, 0) / (means.gold.length - 1));
      record.push({
        iteration: i,
        kl: mean(means.kl),
        gold: mean(means.gold),
        goldStandardError: sd / Math.sqrt(means.gold.length),
        proxy: mean(means.proxy),
        human: mean(means.human),
        responseLength: samples.reduce((a, s) => a + s.tokens.length, 0) / samples.length,
      });
    }
    if (i >= iterations) break;
    const batch = Array.from({ length: h.batchSize }, (_, k) => rolloutPrompts[order[(i * h.batchSize + k) % order.length]]);
    const stats = trainer.iteration(batch, Rng.fromSeed(config.seed, `tune/${candidate.name}/iteration/${i}`), scheduledLearningRate(settings, i));
    bar.update(
      i + 1,
      `reward ${stats.score.toFixed(3)} | KL ${stats.kl.toFixed(2)} | clip ${stats.clipFraction.toFixed(3)} | len ${stats.responseLength.toFixed(1)}`,
    );
  }
  policy.dispose();
  reference.dispose();
  const base = record[0].gold;
  const peak = record.reduce((a, b) => (b.gold > a.gold ? b : a));
  return {
    candidate: candidate.name,
    why: candidate.why,
    devProxy: cellName(devCell),
    devPrompts: devPrompts.map((p) => p.promptId),
    policy: policySize,
    iterations,
    learningRateSchedule: settings.learningRateSchedule,
    evaluationPoints: steps.length,
    hyperparameters: h,
    rewardNormalised: normalise,
    rewardScale: normalise ? scale : 1,
    steps: record,
    peak: { iteration: peak.iteration, gold: peak.gold - base, kl: peak.kl },
    final: { gold: record.at(-1)!.gold - base, kl: record.at(-1)!.kl },
    shape: curveShape(record),
  };
}

async function loadDevProxy(cfg: PipelineConfig, name: string): Promise<{ model: Model; shift: number }> {
  const dir = join(root, 'artifacts', cfg.name, 'tuning', 'dev-proxy', name);
  // The proxy learns from label's comparisons; a proxy trained on an older label run (another gold) is retrained.
  const labelVersion = label.manifestSha256;
  const saved = existsSync(join(dir, 'reward.json'))
    ? (JSON.parse(await readFile(join(dir, 'reward.json'), 'utf8')) as { shift: number; label?: string })
    : null;
  if (saved?.label === labelVersion) return { model: await loadCheckpoint(join(dir, 'model')), shift: saved.shift };
  process.stdout.write(
    `[tune] training the development proxy ${name} (seed ${devSeed}, never a grid seed)${saved ? ': the saved one learnt from another label run' : ''}\n`,
  );
  const rng = Rng.fromSeed(cfg.seed, `proxy/${devCell.size}/s${devSeed}`);
  const model = await pretrained.loadRewardModel(devCell.size, rng.fork('head'));
  trainRewardModel(model, labelled.train.slice(0, devCell.comparisons), cfg.proxy.training, rng.fork(`order/n${devCell.comparisons}`), `dev proxy ${name}`);
  const centeringRows = labelled.samples.slice(0, cfg.proxy.training.centeringSamples);
  const scores = scoreSequences(
    model,
    centeringRows.map((s) => [...s.promptTokens, ...s.responseTokens]),
    256,
  );
  const shift = -scores.reduce((a, b) => a + b, 0) / scores.length;
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await saveCheckpoint(model, join(staging, 'model'));
  await writeFile(join(staging, 'reward.json'), `${JSON.stringify({ cell: devCell, shift, label: labelVersion }, null, 2)}\n`);
  await mkdir(join(dir, '..'), { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir).catch(async () => rm(staging, { recursive: true, force: true }));
  return { model, shift };
}

/** The candidates file, checked for its shape; each candidate's overrides are checked by `candidateSettings`. */
function readCandidates(text: string, path: string): Candidate[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${path} must hold an array of candidates ({ name, why, overrides })`);
  return parsed.map((entry: Candidate, i) => {
    if (typeof entry?.name !== 'string' || typeof entry.why !== 'string' || typeof entry.overrides !== 'object' || entry.overrides === null) {
      throw new Error(`${path}: candidate ${i} needs a "name", a "why" and an "overrides" object`);
    }
    return entry;
  });
}
