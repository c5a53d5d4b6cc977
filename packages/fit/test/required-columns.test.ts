import { describe, expect, it } from 'vitest';
import { requireColumns } from '../src/required-columns.ts';

describe('requireColumns', () => {
  it('names the file, the stage and every missing column', () => {
    expect(() =>
      requireColumns(['gold', 'human'], ['human', 'human_low', 'human_high'], '/a/bon/curves/curves.parquet', 'bon', 'npx nx run bon:quick'),
    ).toThrow(
      `/a/bon/curves/curves.parquet (made by stage 'bon') has no column "human_low", "human_high": rerun that stage with the current code (npx nx run bon:quick)`,
    );
  });

  it('passes when every column is there', () => {
    expect(() =>
      requireColumns(['human', 'human_low', 'human_high', 'gold'], ['human', 'human_low', 'human_high'], 'f', 'ppo', 'npx nx run ppo:quick'),
    ).not.toThrow();
  });
});
