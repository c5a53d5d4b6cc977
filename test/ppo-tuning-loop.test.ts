import { beforeAll, describe, expect, it } from 'vitest';
import { EVAL_PROMPTS_TABLE, loadPipeline, openStage, openStageOutput, PPO_CURVE_BY_PROMPT_TABLE, PPO_TRAIN_TABLE, readParquetFile } from '@goodhart/core';
import { normaliseGold, openGold, readGoldUnits } from '@goodhart/gold';
import { runLabel } from '@goodhart/label';
import { initEngine, readPretrainArtifacts, readPromptsFile, readProxyCell } from '@goodhart/model';
import { readCenteringSamples, rolloutPrompts, runDir, runPpoRun } from '@goodhart/ppo';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyCell } from '@goodhart/proxy';
import { candidateSettings, tuneCandidate, type CandidateResult, type TuningSession } from '../scripts/tuning/ppo-candidate.ts';
import { tempWorkspace, testPreset } from './support/workspace.ts';

/**
 * The PPO tuning tool trains a candidate through the PPO stage's own loop, so a tuning result is what the stage would
 * produce: on the same proxy (here one grid cell stands in for the development proxy), the same rollout prompts and
 * the same evaluation prompts, a candidate with no overrides trains, iteration by iteration, exactly the stage's run
 * and measures exactly its curve. Enough iterations that rollouts pass over the prompts more than once, so the
 * schedule's reshuffle at each pass is compared too.
 */
const quiet = (): void => {};
const PRESET = 'tl';
const CELL = 'tiny-n20-s0';
const RUN = `${CELL}-kl0-small`;
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    Object.assign(c.ppo, { iterations: 9, eval: { ...(c.ppo.eval as object), points: 3 } });
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runProxyCell({ preset: PRESET, cell: CELL, backend: 'wasm', root, log: quiet });
}, 120_000);

/** A tuning session whose development proxy is the cell's proxy and whose prompts are the stage's. */
async function stageLikeSession(): Promise<TuningSession> {
  const config = loadPipeline(PRESET, root);
  const pretrained = await readPretrainArtifacts(await openStage(root, PRESET, 'pretrain'));
  const label = await openStage(root, PRESET, 'label');
  const cell = await readProxyCell(await openStage(root, PRESET, 'proxyCell', CELL));
  const heldOut = await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file));
  const gold = await openGold(root, config);
  const units = await readGoldUnits(label);
  return {
    pretrained,
    devCell: CELL,
    proxy: { model: await cell.loadRewardModel(), shift: cell.shift },
    centering: await readCenteringSamples(label, config),
    rollouts: rolloutPrompts(pretrained.prompts, new Set(heldOut.map((p) => p.promptId))),
    development: heldOut.slice(0, config.ppo!.eval.prompts),
    goldScore: (prompts, responses) => {
      const raw = gold.score(responses.map((r, b) => ({ promptTokens: prompts[b], responseTokens: r, text: pretrained.tokenizer.decode([...r]) })));
      return { gold: normaliseGold(raw.gold, units.gold), human: normaliseGold(raw.human, units.human) };
    },
  };
}

async function tune(overrides: Record<string, unknown>): Promise<CandidateResult> {
  const session = await stageLikeSession();
  const config = loadPipeline(PRESET, root);
  const candidate = { name: 'as-the-stage', why: 'the preset as it is', overrides };
  const settings = candidateSettings(config, candidate, CELL, session.pretrained.tokenizer.endOfText, 'test');
  return tuneCandidate(session, candidate, settings);
}

describe('the PPO tuning tool trains through the stage loop', () => {
  it('a candidate with no overrides trains and measures exactly what the stage does', async () => {
    await runPpoRun({ preset: PRESET, run: RUN, backend: 'wasm', root, log: quiet });
    const output = await openStageOutput(runDir(root, PRESET, RUN), 'ppo');
    const stageTrain = PPO_TRAIN_TABLE.rows(await readParquetFile(output.file(PPO_TRAIN_TABLE.file)), PPO_TRAIN_TABLE.file);
    const byPrompt = PPO_CURVE_BY_PROMPT_TABLE.rows(await readParquetFile(output.file(PPO_CURVE_BY_PROMPT_TABLE.file)), PPO_CURVE_BY_PROMPT_TABLE.file);
    const tuned = await tune({});

    const config = loadPipeline(PRESET, root);
    expect(stageTrain.length * config.ppo!.batchSize).toBeGreaterThan(32); // more than one pass over the 32 rollout prompts
    expect(tuned.training.map((r) => [r.iteration, r.score, r.kl, r.loss, r.clipFraction, r.responseLength])).toEqual(
      stageTrain.map((r) => [r.iteration, r.proxy_score, r.kl, r.loss, r.clip_fraction, r.response_length]),
    );
    const steps = [...new Set(byPrompt.map((r) => r.step))];
    expect(tuned.steps.map((s) => s.iteration)).toEqual(steps);
    const meanAt = (step: number, column: 'kl_exact' | 'gold' | 'proxy_score'): number => {
      const rows = byPrompt.filter((r) => r.step === step);
      return rows.reduce((a, r) => a + Number(r[column]), 0) / rows.length;
    };
    for (const s of tuned.steps) {
      expect(s.kl).toBeCloseTo(meanAt(s.iteration, 'kl_exact'), 12);
      expect(s.gold).toBeCloseTo(meanAt(s.iteration, 'gold'), 12);
      expect(s.proxy).toBeCloseTo(meanAt(s.iteration, 'proxy_score'), 12);
    }
  }, 300_000);

  it('and a candidate that changes a hyperparameter trains differently (the comparison can fail)', async () => {
    const base = await tune({});
    const changed = await tune({ learningRate: 0.01 });
    expect(changed.training.map((r) => r.loss)).not.toEqual(base.training.map((r) => r.loss));
  }, 300_000);
});
