import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, pretokenize, type BpeTokenizerJson } from '@goodhart/model';
import { loadBrownCorpus } from '../src/corpus.ts';

const byteId = (char: string): number => char.charCodeAt(0) + 1;

const TRICKY = [
  '',
  ' ',
  'a',
  '\n\n\n',
  '   leading and trailing   ',
  'tabs\tand\r\nCRLF\n\n  indented',
  "It's, isn't it? 'Quoted' -- (parens) [1/2] $3.50 100%",
  'naïve café, Ångström, straße, ÆØÅ',
  'e\u0301 combining, \u200b zero width',
  '日本語のテキスト、中文文本',
  'עברית العربية',
  '🎉🎉 emoji 👨‍👩‍👧‍👦 family, flags 🇺🇸, 😀😀😀',
  '\uFEFFstarts with a byte order mark',
  'nul \u0000 and DEL \u007f',
  '<|endoftext|> is plain text here',
  '12345678901234567890 digits',
];

/** Well-formed strings drawn from a mix of scripts, including astral code points. */
function randomStrings(count: number, seed: number): string[] {
  let state = seed;
  const next = (limit: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0x09, 0x0d],
    [0xa0, 0x24f],
    [0x3040, 0x30ff],
    [0x4e00, 0x4fff],
    [0x1f300, 0x1f64f],
    [0xd7f0, 0xd7ff],
    [0xe000, 0xe0ff],
  ];
  return Array.from({ length: count }, () => {
    const codePoints = Array.from({ length: next(40) }, () => {
      const [lo, hi] = ranges[next(ranges.length)]!;
      return lo + next(hi - lo + 1);
    });
    return String.fromCodePoint(...codePoints);
  });
}

/** Straightforward BPE that recounts every pair each step: the incremental trainer must agree with it. */
function referenceMerges(texts: string[], vocabSize: number): [number, number][] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const word of pretokenize(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts].map(([word, count]) => ({
    symbols: Array.from(new TextEncoder().encode(word), (b) => b + 1),
    count,
  }));
  const merges: [number, number][] = [];
  while (257 + merges.length < vocabSize) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]},${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      const pair = key.split(',').map(Number) as [number, number];
      const smaller = best === undefined || pair[0] < best[0] || (pair[0] === best[0] && pair[1] < best[1]);
      if (count > bestCount || (count === bestCount && smaller)) {
        best = pair;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    const id = 257 + merges.length;
    merges.push(best);
    for (const word of words) {
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === best[0] && word.symbols[i + 1] === best[1]) {
          out.push(id);
          i++;
        } else {
          out.push(word.symbols[i]!);
        }
      }
      word.symbols = out;
    }
  }
  return merges;
}

const utf8Length = (texts: string[]): number => texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);

describe('pretokenize', () => {
  it('keeps a leading space on words and loses no characters', () => {
    expect(pretokenize("Hello world, it's 2024!\n\n  ok")).toEqual(['Hello', ' world', ',', ' it', "'s", ' 2024', '!', '\n\n ', ' ok']);
    for (const text of [...TRICKY, ...randomStrings(50, 7)]) expect(pretokenize(text).join('')).toBe(text);
  });
});

describe('BpeTokenizer on Brown', () => {
  let train: string[];
  let heldOut: string[];
  let tokenizer: BpeTokenizer;
  beforeAll(() => {
    // Every tenth document spans all genres while keeping training quick.
    const texts = loadBrownCorpus().map((doc) => doc.sentences.join(' '));
    train = texts.filter((_, i) => i % 10 === 0);
    heldOut = texts.filter((_, i) => i % 10 === 1);
    tokenizer = BpeTokenizer.train(train, { vocabSize: 1024 });
  });

  it('learns the full vocabulary with ids in range', () => {
    expect(tokenizer.vocabSize).toBe(1024);
    expect(tokenizer.toJSON().merges).toHaveLength(1024 - 257);
    const ids = heldOut.flatMap((text) => tokenizer.encode(text));
    expect(ids.every((id) => Number.isInteger(id) && id >= 1 && id < 1024)).toBe(true);
    expect(ids.some((id) => id >= 1000)).toBe(true);
  });

  it('learns common English pieces', () => {
    const pieces = new Set(Array.from({ length: 1024 }, (_, id) => tokenizer.tokenText(id)));
    for (const piece of [' the', ' of', ' and', 'ing']) expect(pieces).toContain(piece);
    expect(tokenizer.encode(' the')).toHaveLength(1);
  });

  it('compresses unseen Brown text by more than 2.5 bytes per token', () => {
    const tokens = heldOut.reduce((sum, text) => sum + tokenizer.encode(text).length, 0);
    expect(utf8Length(heldOut) / tokens).toBeGreaterThan(2.5);
  });

  it('round-trips held-out text and tricky strings', () => {
    for (const text of [...heldOut.slice(0, 10), ...TRICKY, ...randomStrings(300, 1)]) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  it('encodes identically after a JSON round trip', () => {
    const restored = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer)));
    expect(restored.toJSON()).toEqual(tokenizer.toJSON());
    for (const text of [...heldOut.slice(0, 5), ...TRICKY]) expect(restored.encode(text)).toEqual(tokenizer.encode(text));
  });

  it('is deterministic and independent of text order', () => {
    const again = BpeTokenizer.train(train, { vocabSize: 1024 });
    const reversed = BpeTokenizer.train([...train].reverse(), { vocabSize: 1024 });
    expect(again.toJSON()).toEqual(tokenizer.toJSON());
    expect(reversed.toJSON()).toEqual(tokenizer.toJSON());
  });

  it('learns the same merges as a naive reference trainer', () => {
    const sample = train.slice(0, 5);
    expect(BpeTokenizer.train(sample, { vocabSize: 600 }).toJSON().merges).toEqual(referenceMerges(sample, 600));
  });
});

describe('BpeTokenizer.train', () => {
  it('merges the most frequent pair first', () => {
    const tokenizer = BpeTokenizer.train(['abababab cd cd'], { vocabSize: 258 });
    expect(tokenizer.toJSON().merges).toEqual([[byteId('a'), byteId('b')]]);
    expect(tokenizer.encode('abab')).toEqual([257, 257]);
    expect(tokenizer.tokenText(257)).toBe('ab');
  });

  it('breaks ties towards the lexicographically smallest pair', () => {
    // " c", "cd" and "ab" each occur once; space has the smallest byte.
    expect(BpeTokenizer.train(['ab cd'], { vocabSize: 258 }).toJSON().merges).toEqual([[byteId(' '), byteId('c')]]);
  });

  it('merges runs of one symbol left to right without overlap', () => {
    const tokenizer = BpeTokenizer.train(['aaa'], { vocabSize: 258 });
    expect(tokenizer.toJSON().merges).toEqual([[byteId('a'), byteId('a')]]);
    expect(tokenizer.encode('aaa')).toEqual([257, byteId('a')]);
    expect(tokenizer.encode('aaaa')).toEqual([257, 257]);
  });

  it('produces exactly vocabSize tokens when the text has enough pairs', () => {
    const text = 'the quick brown fox jumps over the lazy dog while the cat naps in the warm sun';
    const tokenizer = BpeTokenizer.train([text, text.toUpperCase()], { vocabSize: 300 });
    expect(tokenizer.vocabSize).toBe(300);
    expect(tokenizer.toJSON().merges).toHaveLength(43);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('stops early, with a smaller vocabulary, when pairs run out', () => {
    const tokenizer = BpeTokenizer.train(['ab', 'ab'], { vocabSize: 1000 });
    expect(tokenizer.vocabSize).toBe(258);
    expect(tokenizer.encode('ab ab')).toEqual([257, byteId(' '), 257]);
  });

  it.each([256, 16385, 1024.5, Number.NaN])('rejects vocabSize %s', (vocabSize) => {
    expect(() => BpeTokenizer.train(['abc'], { vocabSize })).toThrow(/tokenizer\.vocabSize.*\[257, 16384\]/);
  });

  it('names the offending value in the vocabSize error', () => {
    expect(() => BpeTokenizer.train(['abc'], { vocabSize: 100 })).toThrow('got 100');
  });
});

describe('BpeTokenizer without merges', () => {
  const bytes = BpeTokenizer.train([], { vocabSize: 257 });

  it('encodes one token per UTF-8 byte', () => {
    expect(bytes.vocabSize).toBe(257);
    expect(bytes.encode('hé')).toEqual([byteId('h'), 0xc3 + 1, 0xa9 + 1]);
    for (const text of [...TRICKY, ...randomStrings(100, 3)]) {
      expect(bytes.encode(text)).toHaveLength(Buffer.byteLength(text));
      expect(bytes.decode(bytes.encode(text))).toBe(text);
    }
  });

  it('keeps the special token out of encoding and decodes it to nothing', () => {
    expect(bytes.endOfText).toBe(0);
    expect(bytes.encode('<|endoftext|>')).not.toContain(0);
    expect(bytes.tokenText(bytes.endOfText)).toBe('<|endoftext|>');
    expect(bytes.decode([bytes.endOfText, byteId('h'), bytes.endOfText, byteId('i'), bytes.endOfText])).toBe('hi');
  });

  it('shows partial UTF-8 bytes escaped and decodes them leniently', () => {
    expect(bytes.tokenText(0xe2 + 1)).toBe('\\xE2');
    expect(bytes.decode([0xe2 + 1])).toBe('\uFFFD');
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => bytes.decode([257])).toThrow(/token id 257/);
    expect(() => bytes.decode([-1])).toThrow(/token id -1/);
    expect(() => bytes.tokenText(1.5)).toThrow(/token id 1.5/);
  });
});

describe('BpeTokenizer.fromJSON', () => {
  const valid: BpeTokenizerJson = {
    kind: 'byte-bpe',
    version: 1,
    vocabSize: 259,
    merges: [
      [byteId('a'), byteId('b')],
      [257, byteId('c')],
    ],
  };
  const withMerges = (merges: unknown): unknown => ({ ...valid, merges });

  it('accepts a valid tokenizer', () => {
    const tokenizer = BpeTokenizer.fromJSON(valid);
    expect(tokenizer.encode('abc abd')).toEqual([258, byteId(' '), 257, byteId('d')]);
    expect(tokenizer.toJSON()).toEqual(valid);
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /tokenizer JSON must be an object, got null/],
    ['an array', [], /must be an object/],
    ['a wrong kind', { ...valid, kind: 'wordpiece' }, /tokenizer\.kind must be "byte-bpe", got "wordpiece"/],
    ['a wrong version', { ...valid, version: 2 }, /tokenizer\.version must be 1, got 2/],
    ['a missing vocabSize', { ...valid, vocabSize: undefined }, /tokenizer\.vocabSize .* got undefined/],
    ['a too large vocabSize', { ...valid, vocabSize: 20000 }, /tokenizer\.vocabSize must be .*\[257, 16384\], got 20000/],
    ['non-array merges', withMerges('ab'), /tokenizer\.merges must be an array/],
    ['too few merges', withMerges([[byteId('a'), byteId('b')]]), /tokenizer\.merges has 1 entries .* needs 2/],
    [
      'a merge that is not a pair',
      withMerges([
        [1, 2, 3],
        [1, 2],
      ]),
      /tokenizer\.merges\[0\] must be a pair/,
    ],
    [
      'a non-integer id',
      withMerges([
        [1, '2'],
        [1, 2],
      ]),
      /tokenizer\.merges\[0\]\[1\] must be an integer id in \[1, 256\], got "2"/,
    ],
    [
      'the special token in a merge',
      withMerges([
        [0, 2],
        [1, 2],
      ]),
      /tokenizer\.merges\[0\]\[0\] .* got 0/,
    ],
    [
      'a forward reference',
      withMerges([
        [1, 2],
        [258, 2],
      ]),
      /tokenizer\.merges\[1\]\[0\] must be an integer id in \[1, 257\], got 258/,
    ],
    [
      'a repeated merge',
      withMerges([
        [1, 2],
        [1, 2],
      ]),
      /tokenizer\.merges\[1\] repeats the earlier merge \[1,2\]/,
    ],
  ])('rejects %s', (_, json, message) => {
    expect(() => BpeTokenizer.fromJSON(json)).toThrow(message);
  });
});
