import { Rng } from '@goodhart/core';
import { BpeTokenizer } from '@goodhart/model';
import { describe, expect, it } from 'vitest';
import type { BrownDocument } from '../src/corpus.ts';
import { buildPrompts } from '../src/dataset.ts';

// Sentences of ordinary words, and some whose words are long runs of digits (many tokens per word), as the Brown
// corpus has: the mix that made a 50-token prompt on the quick preset overflow the context at label.
const plain = Array.from({ length: 30 }, (_, i) => `the cat sat on the mat and then went home again number ${i}`);
const digits = (i: number): string => String((i + 1) * 7919 * 104_729).padStart(10, '3') + String((i + 3) * 15_485_863);
// Long after two words (cut back) or from the first word (skipped).
const numeric = Array.from({ length: 30 }, (_, i) => `the dog ${digits(i)} ${digits(i + 40)} ran far away today`);
const unfit = Array.from({ length: 10 }, (_, i) => `${digits(i + 80)} ${digits(i + 90)} ran far away today again`);
const docs: BrownDocument[] = [
  { id: 'ca01', genre: 'a', sentences: plain },
  { id: 'cb01', genre: 'b', sentences: numeric },
  { id: 'cc01', genre: 'c', sentences: unfit },
];
const tokenizer = BpeTokenizer.train([...plain, ...numeric, ...unfit], { vocabSize: 300 });

function build(maxTokens: number, count = 40): ReturnType<typeof buildPrompts> {
  return buildPrompts(docs, tokenizer, { count, minWords: 2, maxWords: 6, maxTokens }, Rng.fromSeed(3, 'prompts'));
}

describe('buildPrompts keeps every prompt within prompts.maxTokens', () => {
  it('cuts long prompts back word by word and skips sentences that cannot fit', () => {
    const unlimited = build(1024);
    const longest = Math.max(...unlimited.map((p) => p.tokens.length));
    expect(longest).toBeGreaterThan(12); // the fixture does have prompts over the limit below
    const limited = build(12);
    expect(limited).toHaveLength(40);
    for (const prompt of limited) {
      expect(prompt.tokens.length).toBeLessThanOrEqual(12);
      expect(prompt.tokens).toEqual(tokenizer.encode(prompt.text));
      expect(prompt.text.split(' ').length).toBeGreaterThanOrEqual(2);
    }
    expect(limited.map((p) => p.id)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Some were cut back (a "the dog" sentence whose digits did not fit), none starts with digits (skipped).
    expect(limited.some((p) => p.text === 'the dog')).toBe(true);
    expect(limited.every((p) => !/^\d/.test(p.text))).toBe(true);
  });

  it('gives exactly the old prompts when none is over the limit', () => {
    const unlimited = build(1024);
    const longest = Math.max(...unlimited.map((p) => p.tokens.length));
    expect(build(longest)).toEqual(unlimited);
  });

  it('names prompts.maxTokens when too few sentences fit', () => {
    expect(() => build(12, 65)).toThrow(
      /prompts\.count 65 exceeds the 60 held-out sentences whose first prompts\.minWords \(2\) words fit in prompts\.maxTokens \(12\) tokens/,
    );
  });
});
