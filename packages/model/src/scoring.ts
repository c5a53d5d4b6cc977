import { tokenBatch } from './batch.ts';
import type { Model } from './engine/types.ts';
import { REWARD_HEAD } from './engine/weights.ts';

/**
 * Reward-model outputs for many sequences, in batches, as plain numbers. Sequences are batched in order of length
 * so a batch carries little padding; results come back in the input order.
 */
export function scoreSequences(model: Model, sequences: readonly (readonly number[])[], batchSize: number, onBatch?: (done: number) => void): Float64Array {
  if (!model.headNames.includes(REWARD_HEAD)) throw new Error('scoreSequences needs a reward model (kind "reward")');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length || a - b);
  const out = new Float64Array(sequences.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const rewards = model.forward(tokenBatch(indices.map((i) => sequences[i])), { heads: 'last' }).heads[REWARD_HEAD];
    indices.forEach((index, j) => {
      out[index] = rewards[j];
    });
    onBatch?.(Math.min(order.length, start + batchSize));
  }
  return out;
}

/** Responses that share one prompt (a best-of-n pool's samples of that prompt). */
export interface PromptGroup {
  prompt: readonly number[];
  responses: readonly (readonly number[])[];
}

/**
 * Reward-model outputs of prompt ++ response for every response of every group, flattened in group order. With an
 * engine that scores responses against a prompt encoded once (Model.scoreResponses), each prompt is encoded once
 * instead of once per response; otherwise (tfjs, empty responses, a group too long for the context) the full
 * sequences go through scoreSequences. Both give the same numbers up to float32 summation order.
 */
export function scorePromptPool(model: Model, groups: readonly PromptGroup[], batchSize: number, onBatch?: (done: number) => void): Float64Array {
  if (!model.headNames.includes(REWARD_HEAD)) throw new Error('scorePromptPool needs a reward model (kind "reward")');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const total = groups.reduce((n, g) => n + g.responses.length, 0);
  const out = new Float64Array(total);
  let offset = 0;
  for (const { prompt, responses } of groups) {
    const longest = responses.reduce((m, r) => Math.max(m, r.length), 0);
    const shared =
      model.scoreResponses !== undefined && prompt.length > 0 && responses.every((r) => r.length > 0) && prompt.length + longest <= model.config.contextLength;
    if (!shared) {
      const done = offset;
      out.set(
        scoreSequences(
          model,
          responses.map((r) => [...prompt, ...r]),
          batchSize,
          onBatch && ((n) => onBatch(done + n)),
        ),
        offset,
      );
    } else {
      // Batches of similar length (little padding); results back in input order.
      const order = responses.map((_, i) => i).sort((a, b) => responses[a].length - responses[b].length || a - b);
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = order.slice(start, start + batchSize);
        const rewards = model.scoreResponses!(
          prompt,
          indices.map((i) => responses[i]),
        )[REWARD_HEAD];
        indices.forEach((index, j) => (out[offset + index] = rewards[j]));
        onBatch?.(offset + Math.min(order.length, start + batchSize));
      }
    }
    offset += responses.length;
  }
  return out;
}

/**
 * Groups prompt + response pairs by prompt, each distinct response once per prompt: the groups for scorePromptPool,
 * and for each pair the index of its response in scorePromptPool's flattened output.
 */
export function groupByPrompt(pairs: readonly { prompt: readonly number[]; response: readonly number[] }[]): { groups: PromptGroup[]; slots: Int32Array } {
  const byPrompt = new Map<string, { group: { prompt: readonly number[]; responses: (readonly number[])[] }; index: Map<string, number> }>();
  const where = pairs.map(({ prompt, response }) => {
    const promptKey = prompt.join(',');
    let entry = byPrompt.get(promptKey);
    if (!entry) {
      entry = { group: { prompt, responses: [] }, index: new Map() };
      byPrompt.set(promptKey, entry);
    }
    const key = response.join(',');
    let slot = entry.index.get(key);
    if (slot === undefined) {
      slot = entry.group.responses.length;
      entry.index.set(key, slot);
      entry.group.responses.push(response);
    }
    return { entry, slot };
  });
  const offsets = new Map<unknown, number>();
  let total = 0;
  for (const entry of byPrompt.values()) {
    offsets.set(entry, total);
    total += entry.group.responses.length;
  }
  return {
    groups: [...byPrompt.values()].map((entry) => entry.group),
    slots: Int32Array.from(where, ({ entry, slot }) => offsets.get(entry)! + slot),
  };
}
