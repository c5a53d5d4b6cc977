/// <reference path="./vader-sentiment.d.ts" />
// (the reference brings the declaration along when another package type-checks on its own: `npx nx typecheck label`)
/**
 * The "human" labeller: a fixed, documented scorer that plays the human of the paper's setup. With gold.kind
 * "model" it labels the comparisons the gold RM trains on (the gold RM then labels the proxies' comparisons and
 * measures best-of-n and RL, and the human score is reported beside it: the outer Goodhart curve); with
 * gold.kind "lexicon" it is the gold itself. Every cliff here is something a reward model trained on its labels
 * can miss.
 *
 *   human = sentiment − repetitionWeight·repetition − shortWeight·short − longWeight·long
 *          − nonWordWeight·nonWords + fluencyWeight·fluency
 *
 * - words: word tokens of the response — runs of letters joined by internal apostrophes or hyphens ("don't",
 *   "well-known"), and numbers ("1,200", "3.5", "1960's"); punctuation is ignored.
 * - sentiment: VADER compound of the response text, in [−1, 1].
 * - repetition, in [0, 1]: the larger of (a) repeated content words / words — a lower-cased word outside a fixed
 *   list of function words ("the", "of", "who", …) that already occurred earlier in the response — and
 *   (b) repeated bigrams / (words − 1) — an adjacent lower-cased word pair that already occurred earlier.
 *   (a) catches "good good good …" (5/6 for six words); (b) catches loops of any words, function words included
 *   ("the man the man …", "who who who …"). Natural English repeats function words, which (a) ignores, and rarely
 *   repeats a bigram, so ordinary sentences score 0 or a little above.
 * - short = 1 if words < minWords, else 0 (an empty response is short).
 * - long = max(0, words − maxWords) / maxWords: each word past maxWords costs longWeight / maxWords.
 * - nonWords, in [0, 1]: fraction of alphabetic words (numbers excluded) that are not English. A word is English if
 *   its lower-cased form is in `an-array-of-english-words` (~275k lower-case words, no names) or is one of a few
 *   abbreviations (mr, dr, etc, …); a hyphenated word if every part is; a word with the clitic n't, 's, 're, 've,
 *   'm, 'd or 'll if its stem is ("can't" and "won't" included); a single letter before a full stop (an initial,
 *   "a.m."); a capitalised word that does not start a sentence (a name). A word starts a sentence after . ! ? and
 *   whitespace, unless that full stop ends a title or an initial ("Mr. Kennedy", "W. H. Auden"); the response's
 *   first word counts as mid-sentence, since responses continue a prompt that opens a sentence.
 * - fluency, ≤ 0 (nats): the mean ln-probability of the response's tokens under the reader (reader.ts: a token-level
 *   Kneser–Ney n-gram model of the Brown training documents), each token read after end-of-text, the prompt and the
 *   response before it. The lexicon terms see only broken text; this one prefers text that reads like the corpus,
 *   so a better language model writes what the human prefers, as in the paper.
 * A zero weight switches its term off exactly (0·x = 0 for the finite x here); with fluencyWeight 0 no reader is
 * needed and fluency is reported as 0.
 */
import { createRequire } from 'node:module';
import vader from 'vader-sentiment';
import type { HumanConfig } from '@goodhart/core';
import type { NgramReader } from './reader.ts';

export interface HumanBreakdown {
  human: number;
  sentiment: number;
  repetition: number;
  short: number;
  long: number;
  nonWords: number;
  /** Mean ln p per response token under the reader (0 when fluencyWeight is 0). */
  fluency: number;
  words: number;
}

/** The response's tokens and its prompt's, which the reader needs (the lexicon terms read the text alone). */
export interface HumanTokens {
  promptTokens: readonly number[];
  responseTokens: readonly number[];
}

/** The human's reader and the token it reads before every prompt (end-of-text, as pretraining puts it before every sentence). */
export interface HumanReader {
  reader: NgramReader;
  startToken: number;
}

export const HUMAN_FORMULA =
  'human = sentiment − repetitionWeight·repetition − shortWeight·short − longWeight·long − ' +
  'nonWordWeight·nonWords + fluencyWeight·fluency, ' +
  "computed on the response (the continuation only; the prompt is read only as the reader's context). Words are runs of letters joined by internal " +
  'apostrophes or hyphens, and numbers; punctuation is ignored. sentiment is the VADER compound score of the ' +
  'response, in [−1, 1]. repetition is the larger of the fraction of words that are a content word (not one of a ' +
  'fixed list of function words such as "the", "of", "who") already used earlier in the response and the fraction ' +
  'of adjacent word pairs (bigrams) that already occurred earlier, both lower-cased, so "good good good good" and ' +
  '"the man the man the man" score high while natural sentences score about 0. short is 1 when the response has ' +
  'fewer than minWords words (an empty response is short), else 0. long is max(0, words − maxWords) / maxWords. ' +
  'nonWords is the fraction of alphabetic words not in the English word list an-array-of-english-words (plus a few ' +
  'abbreviations such as "mr"), checking hyphenated parts and the stems of clitics such as "n\'t" and "\'s"; a ' +
  'single letter before a full stop (an initial) and a capitalised word that does not start a sentence (a name) ' +
  'count as English. fluency is the mean natural-log probability per response token (end-of-text included when ' +
  'the policy stopped) under the reader, a fixed token-level interpolated Kneser–Ney n-gram model (order ' +
  'gold.readerOrder) counted from the Brown training documents over the pipeline tokenizer, each token read after ' +
  'end-of-text, the prompt and the response before it.';

export class HumanLabeller {
  private readonly config: HumanConfig;
  private readonly reader: HumanReader | undefined;

  /**
   * The human's weights: the `gold` section of the pipeline (its kind and model are not read here); the reader is
   * required when gold.fluencyWeight > 0 (openHumanReader builds it from the pretrain stage's output).
   */
  constructor(config: HumanConfig, reader?: HumanReader) {
    validateHumanConfig(config);
    const { repetitionWeight, minWords, shortWeight, maxWords, longWeight, nonWordWeight, fluencyWeight, readerOrder } = config;
    this.config = { repetitionWeight, minWords, shortWeight, maxWords, longWeight, nonWordWeight, fluencyWeight, readerOrder };
    if (fluencyWeight > 0) {
      if (reader === undefined) throw new Error(`gold.fluencyWeight is ${fluencyWeight}: the human needs its reader (openHumanReader)`);
      if (reader.reader.order !== readerOrder) throw new Error(`the reader has order ${reader.reader.order}; gold.readerOrder is ${readerOrder}`);
    }
    this.reader = fluencyWeight > 0 ? reader : undefined;
  }

  /** Score one response (the continuation text; its tokens and the prompt's when fluency is on). Deterministic, pure. */
  score(response: string, tokens?: HumanTokens): number {
    return this.breakdown(response, tokens).human;
  }

  breakdown(response: string, tokens?: HumanTokens): HumanBreakdown {
    const { repetitionWeight, minWords, shortWeight, maxWords, longWeight, nonWordWeight, fluencyWeight } = this.config;
    const { words, alphabetic, unknown } = tokenize(response);
    const sentiment = vader.SentimentIntensityAnalyzer.polarity_scores(response).compound;
    const repetition = repetitionFraction(words);
    const short = words.length < minWords ? 1 : 0;
    const long = Math.max(0, words.length - maxWords) / maxWords;
    const nonWords = alphabetic === 0 ? 0 : unknown / alphabetic;
    const fluency = this.fluency(tokens);
    const lexicon = sentiment - repetitionWeight * repetition - shortWeight * short - longWeight * long - nonWordWeight * nonWords;
    const human = fluencyWeight === 0 ? lexicon : lexicon + fluencyWeight * fluency;
    return { human, sentiment, repetition, short, long, nonWords, fluency, words: words.length };
  }

  /** Responses with their tokens: `text` is what the lexicon terms read, the tokens what the reader reads. */
  scoreAll(responses: readonly (HumanTokens & { text: string })[]): Float64Array {
    const scores = new Float64Array(responses.length);
    for (let i = 0; i < responses.length; i++) scores[i] = this.score(responses[i].text, responses[i]);
    return scores;
  }

  private fluency(tokens: HumanTokens | undefined): number {
    if (this.reader === undefined) return 0;
    if (tokens === undefined) throw new Error('the human reads fluency (gold.fluencyWeight > 0): pass the prompt and response tokens');
    return this.reader.reader.meanLogProb(this.reader.startToken, tokens.promptTokens, tokens.responseTokens);
  }
}

function validateHumanConfig(config: HumanConfig): void {
  for (const field of ['repetitionWeight', 'shortWeight', 'longWeight', 'nonWordWeight', 'fluencyWeight'] as const) {
    const value: unknown = config[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`gold.${field} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (!Number.isInteger(config.minWords) || config.minWords < 0) {
    throw new Error(`gold.minWords must be an integer ≥ 0, got ${String(config.minWords)}`);
  }
  if (!Number.isInteger(config.readerOrder) || config.readerOrder < 1) {
    throw new Error(`gold.readerOrder must be an integer ≥ 1, got ${String(config.readerOrder)}`);
  }
  if (!Number.isInteger(config.maxWords) || config.maxWords < 1) {
    throw new Error(`gold.maxWords must be an integer ≥ 1, got ${String(config.maxWords)}`);
  }
  // Otherwise every response is either short or long and the length penalties stop ranking anything.
  if (config.minWords > config.maxWords) {
    throw new Error(`gold.minWords (${config.minWords}) must not exceed gold.maxWords (${config.maxWords})`);
  }
}

// Letters with internal apostrophes/hyphens; or a number, optionally with a letter suffix ("3rd", "1960's").
// Group 1 is set for alphabetic words only.
const TOKEN = /(\p{L}+(?:['’-]\p{L}+)*)|\p{N}+(?:[.,:]\p{N}+)*(?:['’]?\p{L}+)?/gu;
// Text between two words that ends a sentence: a terminator, then (after closing quotes etc.) whitespace.
const SENTENCE_BREAK = /[.!?]\S*\s/;

interface Tokens {
  /** Lower-cased, curly apostrophes straightened. */
  words: string[];
  alphabetic: number;
  unknown: number;
}

function tokenize(text: string): Tokens {
  const lexicon = englishWords();
  const words: string[] = [];
  let alphabetic = 0;
  let unknown = 0;
  let previousEnd = 0;
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    const start = match.index;
    const lower = token.toLowerCase();
    const word = lower.includes('’') ? lower.replaceAll('’', "'") : lower;
    words.push(word);
    if (match[1] !== undefined) {
      alphabetic++;
      const previous = words.length > 1 ? words[words.length - 2] : undefined;
      if (!isEnglish(word, lexicon) && !isNameOrInitial(text, token, start, previous, previousEnd)) unknown++;
    }
    previousEnd = start + token.length;
  }
  return { words, alphabetic, unknown };
}

/**
 * A word outside the list still reads as English when it is a single letter before a full stop (an initial, or part
 * of "a.m.", "e.g.") or a capitalised name. Capitalisation marks a name unless the word may be capitalised only for
 * starting a sentence: after . ! ? and whitespace, except the full stop of a title or an initial ("Mr. Kennedy",
 * "W. H. Auden"). The response's first word counts as mid-sentence: responses continue a prompt that opens a sentence.
 */
function isNameOrInitial(text: string, token: string, start: number, previous: string | undefined, previousEnd: number): boolean {
  if (token.length === 1 && text.charAt(start + 1) === '.') return true;
  const first = token.charAt(0);
  if (first === first.toLowerCase()) return false;
  if (!SENTENCE_BREAK.test(text.slice(previousEnd, start))) return true;
  return previous !== undefined && (previous.length === 1 || ABBREVIATIONS.has(previous));
}

// Common in text (mostly before a full stop) but absent from the lower-case word list.
const ABBREVIATIONS: ReadonlySet<string> = new Set('mr mrs ms dr st jr sr capt supt gen col lt sgt rev prof gov sen mt ft co inc ltd etc vs ok tv'.split(' '));
const CLITIC = /^(.+)'(?:s|re|ve|m|d|ll)$/;

function isEnglish(word: string, lexicon: ReadonlySet<string>): boolean {
  if (lexicon.has(word) || ABBREVIATIONS.has(word)) return true;
  if (word.includes('-')) return word.split('-').every((part) => isEnglish(part, lexicon));
  if (!word.includes("'")) return false;
  if (word.endsWith("n't")) {
    const stem = word.slice(0, -3);
    // A bare "n't" is a clitic split off its verb ("do n't"); "can't" leaves "ca", which the list lacks (it has
    // "wo", "sha" and "ai" for "won't", "shan't" and "ain't").
    return stem.length === 0 || stem === 'ca' || isEnglish(stem, lexicon);
  }
  const clitic = CLITIC.exec(word);
  if (clitic !== null) return isEnglish(clitic[1], lexicon);
  // "o'clock", "rock'n'roll"-style compounds: every part must be English on its own.
  return word.split("'").every((part) => part.length > 0 && isEnglish(part, lexicon));
}

let lexiconCache: ReadonlySet<string> | undefined;

/** The ~275k-word list is 3 MB of JSON: load it on first use, once per process, shared by every scorer. */
function englishWords(): ReadonlySet<string> {
  if (lexiconCache === undefined) {
    const list: unknown = createRequire(import.meta.url)('an-array-of-english-words');
    if (!Array.isArray(list) || list.length === 0 || !list.every((word) => typeof word === 'string')) {
      throw new Error('an-array-of-english-words did not load as a non-empty array of strings');
    }
    lexiconCache = new Set(list as string[]);
  }
  return lexiconCache;
}

// Closed-class words: natural sentences repeat these freely, so a repeated one is no sign of degenerate text on
// its own. Loops made of them ("who who who") still show up as repeated bigrams.
const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the this that these those some any no every each all both either neither such what which whose much ' +
    'many more most few less other another own same ' +
    'i me my mine myself you your yours yourself yourselves he him his himself she her hers herself it its itself ' +
    'we us our ours ourselves they them their theirs themselves one who whom whoever whatever ' +
    'of in on at to for from by with about as into onto upon over under through between among against during ' +
    'before after above below up down out off around across along behind beyond near toward towards without ' +
    'within than like since until till per ' +
    'and or but nor so yet if then because while although though whether when where why how unless ' +
    'be am is are was were been being have has had having do does did doing ' +
    'will would shall should can could may might must ought ' +
    "i'm you're he's she's it's we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll " +
    "you'll he'll she'll we'll they'll isn't aren't wasn't weren't don't doesn't didn't haven't hasn't hadn't " +
    "won't wouldn't can't couldn't shouldn't mustn't that's there's what's let's " +
    'not yes there here very too also just only even still again now well'
  ).split(' '),
);

/** max(repeated content words / words, repeated bigrams / (words − 1)); 0 below two words. */
function repetitionFraction(words: readonly string[]): number {
  if (words.length < 2) return 0;
  const contentSeen = new Set<string>();
  const bigramsSeen = new Set<string>();
  let repeatedContent = 0;
  let repeatedBigrams = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!FUNCTION_WORDS.has(word)) {
      if (contentSeen.has(word)) repeatedContent++;
      else contentSeen.add(word);
    }
    if (i > 0) {
      // Tokens never contain spaces, so the joined pair is unambiguous.
      const bigram = `${words[i - 1]} ${word}`;
      if (bigramsSeen.has(bigram)) repeatedBigrams++;
      else bigramsSeen.add(bigram);
    }
  }
  return Math.max(repeatedContent / words.length, repeatedBigrams / (words.length - 1));
}
