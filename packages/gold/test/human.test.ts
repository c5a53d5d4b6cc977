import { describe, expect, it } from 'vitest';
import type { HumanConfig } from '@goodhart/core';
import { HUMAN_FORMULA, HumanLabeller } from '../src/human.ts';
import { NgramReader } from '../src/reader.ts';

const DEFAULTS: HumanConfig = {
  repetitionWeight: 1,
  minWords: 4,
  shortWeight: 1,
  maxWords: 40,
  longWeight: 1,
  nonWordWeight: 1,
  fluencyWeight: 0,
  readerOrder: 4,
};
const human = new HumanLabeller(DEFAULTS);
const scorer = (overrides: Partial<HumanConfig>): HumanLabeller => new HumanLabeller({ ...DEFAULTS, ...overrides });

const POSITIVE = 'It was a wonderful, happy day with good friends.';
const NEUTRAL = 'He walked to the store on Monday.';
const NEGATIVE = 'The war was a terrible, cruel disaster.';

const DISTINCT_WORDS = (
  'the old farmer walked slowly along a quiet river toward his small house near some tall trees where birds sang ' +
  'every morning while children played games outside under bright summer skies and dogs chased cats across green ' +
  'fields beyond distant hills covered with yellow flowers growing wild between stone walls built long ago by ' +
  'people whose names nobody remembers today because time erases most things eventually though certain stories ' +
  'survive through songs'
).split(' ');

/** `n` distinct real words, so only the length penalties can differ between two of them. */
function sentenceOf(n: number): string {
  if (n > DISTINCT_WORDS.length) throw new Error(`at most ${DISTINCT_WORDS.length} distinct words`);
  return DISTINCT_WORDS.slice(0, n).join(' ');
}

describe('HumanLabeller ranking', () => {
  it('scores positive above neutral above negative', () => {
    expect(human.score(POSITIVE)).toBeGreaterThan(human.score(NEUTRAL));
    expect(human.score(NEUTRAL)).toBeGreaterThan(human.score(NEGATIVE));
  });

  it('leaves ordinary sentences unpenalised, names included', () => {
    for (const text of [POSITIVE, NEUTRAL, NEGATIVE, "I don't think Mr. Jones can't see London, o'clock-wise."]) {
      const parts = human.breakdown(text);
      expect(parts.human, text).toBe(parts.sentiment);
    }
  });
});

describe('repetition penalty', () => {
  it('sinks "good good good good good good" below a normal positive sentence', () => {
    const loop = human.breakdown('good good good good good good');
    expect(loop.sentiment).toBeGreaterThan(0.9); // VADER alone loves it
    expect(loop.repetition).toBeCloseTo(5 / 6, 12);
    expect(loop.human).toBeLessThan(human.score(POSITIVE) - 0.5);
  });

  it('catches loops of function words through repeated bigrams', () => {
    const manLoop = human.breakdown('the man the man the man the man');
    expect(manLoop.repetition).toBeCloseTo(5 / 7, 12); // 5 of the 7 bigrams repeat an earlier one
    expect(manLoop.human).toBeLessThan(human.score(NEUTRAL) - 0.5);
    expect(human.breakdown('who who who who who who who who').repetition).toBeCloseTo(6 / 7, 12);
  });

  it('barely touches natural sentences that reuse function words', () => {
    const text = 'He said that the man and the woman were in the house by the river, and the dog was with them.';
    expect(human.breakdown(text).repetition).toBeLessThan(0.1);
    expect(human.breakdown(NEUTRAL).repetition).toBe(0);
  });

  it('is case-insensitive', () => {
    expect(human.breakdown('Good good GOOD good').repetition).toBeCloseTo(3 / 4, 12);
  });
});

describe('length penalties', () => {
  it('costs a response with fewer than minWords words exactly shortWeight', () => {
    const parts = human.breakdown('Good morning.');
    expect(parts.words).toBe(2);
    expect(parts.short).toBe(1);
    expect(parts.human).toBeCloseTo(parts.sentiment - 1, 12);
    expect(scorer({ shortWeight: 0.25 }).score('Good morning.')).toBeCloseTo(parts.sentiment - 0.25, 12);
  });

  it('treats an empty response as short', () => {
    const empty = { human: -1, sentiment: 0, repetition: 0, short: 1, fluency: 0, long: 0, nonWords: 0, words: 0 };
    expect(human.breakdown('')).toEqual(empty);
    expect(human.breakdown(' ... ').short).toBe(1);
  });

  it('stops the short penalty at exactly minWords words', () => {
    expect(human.breakdown(sentenceOf(3)).short).toBe(1);
    expect(human.breakdown(sentenceOf(4)).short).toBe(0);
  });

  it('charges longWeight / maxWords per word past maxWords', () => {
    const atLimit = human.breakdown(sentenceOf(40));
    expect(atLimit.long).toBe(0);
    const over = human.breakdown(sentenceOf(50));
    expect(over.words).toBe(50);
    expect(over.long).toBeCloseTo(10 / 40, 12);
    expect(over.repetition).toBe(0);
    expect(over.human).toBeCloseTo(over.sentiment - 0.25, 12);
    expect(scorer({ maxWords: 10, longWeight: 2 }).breakdown(sentenceOf(15)).long).toBeCloseTo(0.5, 12);
  });
});

describe('non-word penalty', () => {
  it('penalises made-up words against real ones', () => {
    const junk = human.breakdown('xqzt blorf vrem gadoop');
    const real = human.breakdown('the dog ran home');
    expect(junk.nonWords).toBe(1);
    expect(real.nonWords).toBe(0);
    expect(junk.human).toBeLessThan(real.human - 0.5);
    expect(human.breakdown('the xqzt ran home').nonWords).toBeCloseTo(1 / 4, 12);
  });

  it('accepts inflections, clitics, hyphenated words and abbreviations', () => {
    const text = "She's happier; they'd walked, didn't they? Can't, won't, well-known, o'clock, Mr. Smith at 5 p.m.";
    expect(human.breakdown(text).nonWords).toBe(0);
  });

  it('treats capitalised words as names except where a sentence starts', () => {
    expect(human.breakdown('we met Xqzt in town').nonWords).toBe(0);
    expect(human.breakdown('Xqzt met us in town').nonWords).toBe(0); // the first word continues the prompt
    expect(human.breakdown('we met him. Xqzt was in town').nonWords).toBeCloseTo(1 / 7, 12);
    expect(human.breakdown('we met Dr. Xqzt in town').nonWords).toBe(0);
  });

  it('ignores numbers', () => {
    const parts = human.breakdown('we paid 1,200 dollars in 1960');
    expect(parts.words).toBe(6);
    expect(parts.nonWords).toBe(0);
  });
});

describe('weights', () => {
  it('switches every penalty off exactly at weight 0, leaving VADER compound', () => {
    const off = scorer({ repetitionWeight: 0, shortWeight: 0, longWeight: 0, nonWordWeight: 0 });
    for (const text of ['good good good good good good', 'xqzt blorf', '', sentenceOf(70), POSITIVE]) {
      const parts = off.breakdown(text);
      expect(parts.human, text).toBe(parts.sentiment);
    }
  });

  it('switches one penalty off without touching the others', () => {
    const text = 'xqzt good good';
    const on = human.breakdown(text);
    const noRepetition = scorer({ repetitionWeight: 0 }).breakdown(text);
    expect(on.repetition).toBeGreaterThan(0);
    expect(noRepetition.human).toBeCloseTo(on.human + on.repetition, 12);
    expect(scorer({ nonWordWeight: 0 }).score(text)).toBeCloseTo(on.human + on.nonWords, 12);
  });

  it('scales penalties linearly', () => {
    const text = 'the man the man the man the man';
    const parts = human.breakdown(text);
    expect(scorer({ repetitionWeight: 3 }).score(text)).toBeCloseTo(parts.sentiment - 3 * parts.repetition, 12);
  });
});

describe('HumanLabeller contract', () => {
  const texts = [
    POSITIVE,
    NEUTRAL,
    NEGATIVE,
    'good good good good good good',
    'the man the man the man the man',
    'xqzt blorf vrem',
    '',
    'Good morning.',
    sentenceOf(55),
    '“Don’t go,” she whispered — it’s late, and the roads are icy.',
  ];

  it('is deterministic, across calls and instances', () => {
    const again = new HumanLabeller({ ...DEFAULTS });
    for (const text of texts) {
      expect(human.score(text)).toBe(human.score(text));
      expect(again.score(text)).toBe(human.score(text));
    }
  });

  it('has breakdown components that add up to the human score', () => {
    const weights = scorer({ repetitionWeight: 0.7, shortWeight: 0.3, longWeight: 2, nonWordWeight: 1.5 });
    for (const text of texts) {
      const p = weights.breakdown(text);
      const sum = p.sentiment - 0.7 * p.repetition - 0.3 * p.short - 2 * p.long - 1.5 * p.nonWords;
      expect(p.human, text).toBeCloseTo(sum, 12);
      expect(weights.score(text)).toBe(p.human);
      for (const value of [p.sentiment, p.repetition, p.nonWords]) expect(Math.abs(value)).toBeLessThanOrEqual(1);
    }
  });

  it('scoreAll equals map(score)', () => {
    const all = human.scoreAll(texts.map((text) => ({ text, promptTokens: [], responseTokens: [] })));
    expect(all).toBeInstanceOf(Float64Array);
    expect(Array.from(all)).toEqual(texts.map((text) => human.score(text)));
    expect(human.scoreAll([])).toHaveLength(0);
  });

  it('does not depend on the config object after construction', () => {
    const config = { ...DEFAULTS };
    const held = new HumanLabeller(config);
    const before = held.score('Good morning.');
    config.shortWeight = 5;
    expect(held.score('Good morning.')).toBe(before);
  });

  it('documents its formula', () => {
    expect(HUMAN_FORMULA).toContain('human = sentiment');
    for (const weight of ['repetitionWeight', 'shortWeight', 'longWeight', 'nonWordWeight', 'minWords', 'maxWords', 'fluencyWeight']) {
      expect(HUMAN_FORMULA).toContain(weight);
    }
  });
});

describe('config validation', () => {
  it.each([
    [{ repetitionWeight: -1 }, /gold\.repetitionWeight/],
    [{ shortWeight: Number.NaN }, /gold\.shortWeight/],
    [{ longWeight: Number.POSITIVE_INFINITY }, /gold\.longWeight/],
    [{ nonWordWeight: -0.5 }, /gold\.nonWordWeight/],
    [{ minWords: -1 }, /gold\.minWords/],
    [{ minWords: 2.5 }, /gold\.minWords/],
    [{ maxWords: 0 }, /gold\.maxWords/],
    [{ minWords: 50, maxWords: 40 }, /gold\.minWords \(50\) must not exceed gold\.maxWords \(40\)/],
  ] satisfies [Partial<HumanConfig>, RegExp][])('rejects %o', (overrides, message) => {
    expect(() => scorer(overrides)).toThrow(message);
  });

  it('ignores the gold kind and model: they choose the gold, not the human', () => {
    const withKind = new HumanLabeller({ ...DEFAULTS, kind: 'model', model: undefined } as HumanConfig);
    expect(withKind.score(POSITIVE)).toBe(human.score(POSITIVE));
  });
});

describe('fluency (the reader)', () => {
  // A reader of a stream where 3 follows "1 2"; 0 is end-of-text.
  const reader = NgramReader.train([0, 1, 2, 3, 0, 1, 2, 3, 0, 4, 5, 6, 0, 1, 2, 3, 0], 8, 3);
  const fluent = (fluencyWeight: number): HumanLabeller => new HumanLabeller({ ...DEFAULTS, fluencyWeight, readerOrder: 3 }, { reader, startToken: 0 });

  it('adds fluencyWeight × the mean ln p of the response given the prompt to the lexicon terms', () => {
    const tokens = { promptTokens: [1, 2], responseTokens: [3, 0] };
    const parts = fluent(0.5).breakdown(NEUTRAL, tokens);
    expect(parts.fluency).toBeCloseTo(reader.meanLogProb(0, [1, 2], [3, 0]), 12);
    expect(parts.human).toBeCloseTo(human.score(NEUTRAL) + 0.5 * parts.fluency, 12);
    // The same text reads worse after a prompt the reader never saw it follow.
    expect(fluent(0.5).score(NEUTRAL, { promptTokens: [4, 5], responseTokens: [3, 0] })).toBeLessThan(parts.human);
    expect(human.breakdown(NEUTRAL).fluency).toBe(0);
  });

  it('needs its reader, of the configured order, and the tokens when the weight is on', () => {
    expect(() => new HumanLabeller({ ...DEFAULTS, fluencyWeight: 0.5 })).toThrow(/gold\.fluencyWeight is 0\.5: the human needs its reader/);
    expect(() => new HumanLabeller({ ...DEFAULTS, fluencyWeight: 0.5, readerOrder: 4 }, { reader, startToken: 0 })).toThrow(
      /the reader has order 3; gold\.readerOrder is 4/,
    );
    expect(() => fluent(0.5).score(NEUTRAL)).toThrow(/pass the prompt and response tokens/);
    expect(() => scorer({ fluencyWeight: -1 })).toThrow(/gold\.fluencyWeight/);
    expect(() => scorer({ readerOrder: 0 })).toThrow(/gold\.readerOrder/);
  });
});
