import { computeFindings } from '../src/findings.ts';
import { makeFixture } from './fixtures.ts';
for (const opts of [{}, { policySizes: 2 }]) {
  const { input, results } = makeFixture(opts);
  console.log(results.bon.map((f) => `${f.curve} a=${f.alpha.mean.toFixed(3)} b=${f.beta.mean.toFixed(3)} r2=${f.r2.toFixed(3)}`).join('\n'));
  console.log(results.rl.map((f) => `${f.curve} a=${f.alpha.mean.toFixed(3)} b=${f.beta.mean.toFixed(3)} r2=${f.r2.toFixed(3)}`).join('\n'));
  for (const f of computeFindings(input, results)) console.log(f.id, f.holds, f.evidence);
}
