import { combineMembers, findSource, memberNames, scoreSpread, standardiseMember, type PipelineConfig } from '@goodhart/core';

/**
 * A proxy's score of every pool sample, in pool order, from the scorings of the pool (`scoresOf`): a cell's or a
 * weight average's own scores, or an ensemble's objective of its members' scores. An ensemble is never scored
 * itself: its members' scorings of the pool are read as they are.
 *
 * Each member's centred score (the proxy stage's shift gives mean 0 on the initial policy's samples) is divided by
 * its standard deviation over the pool, which is a sample of the initial policy: the scale PPO divides a single
 * proxy's score by (ppo.rewardNormalisation "initial-policy-std"), measured here on the pool rather than on label's
 * centring samples so no member is scored again. Best-of-n of a single proxy does not change under a shift or a
 * positive scale, so single proxies are left as they are.
 */
export async function sourceScores(name: string, config: PipelineConfig, scoresOf: (model: string) => Promise<Float64Array>): Promise<Float64Array> {
  const source = findSource(name, config);
  if (source?.kind !== 'ensemble') return scoresOf(name);
  const members: Float64Array[] = [];
  for (const member of memberNames(source)) {
    const centred = await scoresOf(member);
    members.push(standardiseMember(centred, scoreSpread(centred)));
  }
  return combineMembers(source.objective, members, source.lambda);
}
