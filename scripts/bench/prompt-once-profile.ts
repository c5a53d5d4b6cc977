import { Rng } from '@goodhart/core';
import { createEngine, initWeights, scorePromptPool, scoreSequences, type ModelConfig } from '@goodhart/model';

/**
 * Where the prompt-once gain goes: one thread, CPU time of this process, for a reward model of the given shape.
 * Scores 2,000 responses of R tokens after one P-token prompt three ways: full sequences (P + R tokens each),
 * the prompt encoded once (scorePromptPool), and the responses alone (R tokens, no prompt): the last is a floor
 * prompt-once cannot beat, since it still runs every response token through every layer.
 */
const usage =
  'usage: node --import tsx scripts/bench/prompt-once-profile.ts <prompt tokens> <response tokens> <dModel> <layers> (prompt + response ≤ 64, dModel a multiple of 4)';
const [P, R, dModel, layers] = process.argv.slice(2).map(Number);
if (process.argv.length !== 6 || ![P, R, dModel, layers].every((v) => Number.isInteger(v) && v >= 1) || P + R > 64 || dModel % 4 !== 0) {
  console.error(usage);
  process.exit(2);
}
const config: ModelConfig = { kind: 'reward', layers, dModel, heads: 4, mlpRatio: 4, vocabSize: 1024, contextLength: 64 };
const rng = Rng.fromSeed(1, 'profile');
const engine = await createEngine('native', undefined, 1, 'fp32');
const rm = engine.createModel(config, initWeights(config, rng.fork('rm')));
const random = (n: number) => Array.from({ length: n }, () => 1 + rng.int(1023));
const prompt = random(P);
const responses = Array.from({ length: 2000 }, () => random(R));
function cpuSeconds(work: () => void): number {
  work();
  const start = process.cpuUsage();
  let runs = 0;
  let spent = 0;
  while (spent < 3) {
    work();
    runs++;
    const u = process.cpuUsage(start);
    spent = (u.user + u.system) / 1e6;
  }
  return spent / runs;
}
const full = cpuSeconds(() =>
  scoreSequences(
    rm,
    responses.map((r) => [...prompt, ...r]),
    250,
  ),
);
const once = cpuSeconds(() => scorePromptPool(rm, [{ prompt, responses }], 250));
const alone = cpuSeconds(() => scoreSequences(rm, responses, 250));
const rate = (s: number) => Math.round(2000 / s).toLocaleString('en-US');
console.log(
  `P ${P} R ${R} d ${dModel} L ${layers}: full ${rate(full)} seq/s, prompt once ${rate(once)} (${(full / once).toFixed(2)}×), responses alone ${rate(alone)} (${(full / alone).toFixed(2)}×, the ceiling)`,
);
rm.dispose();
