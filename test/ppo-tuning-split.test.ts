import { describe, expect, it } from 'vitest';
import { loadPipeline, workspaceRoot } from '@goodhart/core';
import { developmentCell, developmentSplit, type ListedPrompt } from '../scripts/tuning/development-split.ts';

const prompts: ListedPrompt[] = Array.from({ length: 100 }, (_, i) => ({ promptId: i, tokens: [i + 1] }));

describe('PPO tuning sees neither the reported curves’ prompts nor their proxies', () => {
  it('takes development prompts that are neither RM prompts nor evaluation prompts, and keeps them out of rollouts', () => {
    const heldOut = new Set([40, 41, 42, 98]);
    const { development, rollouts } = developmentSplit(prompts, 40, heldOut, 8, 4);
    const devIds = development.map((p) => p.promptId);
    expect(devIds).toHaveLength(8);
    for (const id of devIds) {
      expect(id).toBeGreaterThanOrEqual(40);
      expect(heldOut.has(id)).toBe(false);
    }
    expect(devIds).toEqual([91, 92, 93, 94, 95, 96, 97, 99]); // the last 8 spare ones (98 is held out)
    const rolloutIds = new Set(rollouts.map((p) => p.promptId));
    for (const id of [...devIds, ...heldOut]) expect(rolloutIds.has(id)).toBe(false);
    expect(rollouts).toHaveLength(100 - 8 - heldOut.size);
  });

  it('refuses when too few spare prompts are left, naming what to change', () => {
    expect(() => developmentSplit(prompts, 90, new Set([95]), 8, 4)).toThrow(/only 9 prompts .* raise prompts.count or lower --dev-prompts/);
  });

  it('picks the grid’s largest proxy under a seed no cell uses, extra seeds included', () => {
    const config = loadPipeline('paper', workspaceRoot());
    expect(developmentCell(config, 1000)).toEqual({ size: 'xl', comparisons: 10000, seed: 1000 });
    expect(() => developmentCell(config, 2)).toThrow(/no proxy grid cell uses \(the grid's seeds: 0, 1, 2\); got 2/);
    expect(() => developmentCell(config, -1)).toThrow(/--dev-seed/);
  });

  it('takes another grid size when asked, and refuses one the grid does not have', () => {
    const config = loadPipeline('paper', workspaceRoot());
    expect(developmentCell(config, 1000, 'xs')).toEqual({ size: 'xs', comparisons: 10000, seed: 1000 });
    expect(() => developmentCell(config, 1000, 'xxl')).toThrow(/--dev-size must be one of the proxy grid's sizes \(xs, s, m, l, xl\); got "xxl"/);
  });
});
