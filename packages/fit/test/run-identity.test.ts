import { describe, expect, it } from 'vitest';
import type { PPO_CURVES_TABLE, RowOf } from '@goodhart/core';
import { runIdentity } from '../src/inputs.ts';

type Row = RowOf<typeof PPO_CURVES_TABLE.columns>;

/** A curve row of a run; only the identity columns and the step matter here. */
function row(step: number, identity: Partial<Pick<Row, 'proxy' | 'policy' | 'kl_coefficient'>> = {}): Row {
  return { run: 'any-name', proxy: 'tiny-n20-s0', policy: 'small', kl_coefficient: 0.05, step, ...identity } as Row;
}

describe('a PPO run is what its rows say it is', () => {
  it('reads the proxy, the policy and β_KL from the columns, whatever the run is called', () => {
    expect(runIdentity('not-a-decodable-name', [row(0), row(5)], 'curves.parquet')).toEqual({ proxy: 'tiny-n20-s0', policy: 'small', klCoefficient: 0.05 });
  });

  it('stops, naming the run, the file and both rows, when its rows disagree', () => {
    expect(() => runIdentity('r', [row(0), row(5, { kl_coefficient: 0.5 })], 'ppo/summary/curves.parquet')).toThrow(
      'ppo/summary/curves.parquet: the rows of PPO run r disagree on what the run is (proxy tiny-n20-s0, policy small, kl_coefficient 0.05 at step 0; proxy tiny-n20-s0, policy small, kl_coefficient 0.5 at step 5)',
    );
    expect(() => runIdentity('r', [row(0), row(5, { policy: 'tiny' })], 'f')).toThrow(/disagree/);
    expect(() => runIdentity('r', [row(0), row(5, { proxy: 'tiny-n60-s0' })], 'f')).toThrow(/disagree/);
  });
});
