import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cellName, EVAL_PROMPTS_TABLE, loadPipeline, openStage, workspaceRoot, type Cell, type PipelineConfig } from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import { initEngineFromFlags, loadCheckpoint, readPretrainArtifacts, readPromptsFile, saveCheckpoint, type PretrainArtifacts } from '@goodhart/model';
import { readCenteringSamples, requirePpo, rolloutPrompts, type ProxyModel } from '@goodhart/ppo';
import { centeringShift, openLabelArtifacts, proxyModel, type LabelArtifacts } from '@goodhart/proxy';
import { candidateSettings, tuneCandidate, type Candidate } from './tuning/ppo-candidate.ts';
import { developmentCell, developmentSplit } from './tuning/development-split.ts';

/**
 * `npm run tune:ppo -- --preset quick --candidate <name>`: PPO's hyperparameters chosen where no reported curve looks
 * (issue 10: "tune on a development proxy and development prompts that the reported curves do not use").
 *   - The development proxy: an RM of the grid's largest size on its largest comparisons count, with seed
 *     `--dev-seed` (never a grid seed), so no reported best-of-n or PPO curve uses it. `--dev-size` picks another of
 *     the grid's sizes; its records are named <candidate>--<cell>.json.
 *   - The development prompts: the last `--dev-prompts` prompts of pretrain's list, which are neither RM prompts nor
 *     label's evaluation prompts (the reported curves' prompts); rollouts use the remaining prompts.
 * Candidates are the preset's `ppo` section with the overrides in docs/experiments/tuning/<preset>-ppo-candidates.json.
 * Each result goes to docs/experiments/tuning/<preset>-ppo/<candidate>.json (the tuning record, committed), with the gold on
 * the development prompts at iteration 0 and on a geometric grid of iterations.
 * A candidate trains as the PPO stage trains a run, through the stage's own loop (tuning/ppo-candidate.ts).
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

const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const ppo = requirePpo(config);
const devSeed = Number(values['dev-seed']);
const devCell = developmentCell(config, devSeed, values['dev-size']);
const devPromptCount = Number(values['dev-prompts']);
if (!Number.isInteger(devPromptCount) || devPromptCount < 8) throw new Error(`--dev-prompts must be an integer ≥ 8; got ${values['dev-prompts']}`);
const evalPoints = Number(values.points);
if (!Number.isInteger(evalPoints) || evalPoints < 3) throw new Error(`--points must be an integer ≥ 3; got ${values.points}`);
const tuningDir = join(root, 'docs', 'experiments', 'tuning');
const candidatesPath = join(tuningDir, `${config.name}-ppo-candidates.json`);
if (!existsSync(candidatesPath)) throw new Error(`no candidates at ${candidatesPath}: write one like docs/experiments/tuning/quick-ppo-candidates.json`);
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
const settingsByName = new Map(
  chosen.map((candidate) => [candidate.name, candidateSettings(config, candidate, cellName(devCell), pretrained.tokenizer.endOfText, candidatesPath)]),
);
const split = developmentSplit(pretrained.prompts, config.label.prompts, heldOut, devPromptCount, ppo.batchSize);
const devProxy = await loadDevProxy(config, devCell, pretrained, labelled);

const gold = await openGold(root, config);
const units = await readGoldUnits(label);
const session = {
  pretrained,
  devCell: cellName(devCell),
  proxy: devProxy,
  centering: await readCenteringSamples(label, config),
  // As the stage's rollouts: every prompt but the held-out ones, here the evaluation and the development prompts.
  rollouts: rolloutPrompts(pretrained.prompts, new Set([...heldOut, ...split.development.map((p) => p.promptId)])),
  development: split.development,
  goldScore: (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => {
    const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
    return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
  },
  points: evalPoints,
};

await mkdir(join(tuningDir, `${config.name}-ppo`), { recursive: true });
for (const candidate of chosen) {
  const result = await tuneCandidate(session, candidate, settingsByName.get(candidate.name)!);
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

/**
 * The development proxy, trained as the proxy stage trains a grid cell (proxyModel, centeringShift) and kept under
 * artifacts/<preset>/tuning/dev-proxy/<cell>; one trained on an older label run (another gold) is trained again.
 */
async function loadDevProxy(cfg: PipelineConfig, cell: Cell, lms: PretrainArtifacts, data: LabelArtifacts): Promise<ProxyModel> {
  const name = cellName(cell);
  const dir = join(root, 'artifacts', cfg.name, 'tuning', 'dev-proxy', name);
  const labelVersion = data.output.manifestSha256;
  const saved = existsSync(join(dir, 'reward.json'))
    ? (JSON.parse(await readFile(join(dir, 'reward.json'), 'utf8')) as { shift: number; label?: string })
    : null;
  if (saved?.label === labelVersion) return { model: await loadCheckpoint(join(dir, 'model')), shift: saved.shift };
  process.stdout.write(
    `[tune] training the development proxy ${name} (seed ${cell.seed}, never a grid seed)${saved ? ': the saved one learnt from another label run' : ''}\n`,
  );
  const { model, train } = await proxyModel(cfg, cell, lms, data);
  train();
  const shift = centeringShift(model, data, cfg.proxy.training);
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await saveCheckpoint(model, join(staging, 'model'));
  await writeFile(join(staging, 'reward.json'), `${JSON.stringify({ cell, shift, label: labelVersion }, null, 2)}\n`);
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
