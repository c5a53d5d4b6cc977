import type { Rng } from '@goodhart/core';
import type { BpeTokenizer } from '@goodhart/model';
import type { BrownDocument } from './corpus.ts';

/** Held-out documents are never trained on; validation loss and prompts both come from them. */
export function splitDocuments(docs: readonly BrownDocument[], validationFraction: number, rng: Rng): { train: BrownDocument[]; validation: BrownDocument[] } {
  const order = rng.shuffle(docs.map((_, i) => i));
  const validationCount = Math.max(1, Math.round(docs.length * validationFraction));
  if (validationCount >= docs.length) {
    throw new Error(`corpus.validationFraction ${validationFraction} leaves no training documents out of ${docs.length}`);
  }
  const held = new Set(order.slice(0, validationCount));
  return {
    train: docs.filter((_, i) => !held.has(i)),
    validation: docs.filter((_, i) => held.has(i)),
  };
}

/** Sentences encoded and joined, each followed by end-of-text so the LM learns where a response may stop. */
export function tokenStream(docs: readonly BrownDocument[], tokenizer: BpeTokenizer): Int32Array {
  const ids: number[] = [];
  for (const doc of docs) {
    for (const sentence of doc.sentences) {
      for (const id of tokenizer.encode(sentence)) ids.push(id);
      ids.push(tokenizer.endOfText);
    }
  }
  return Int32Array.from(ids);
}

export interface Prompt {
  id: number;
  text: string;
  tokens: number[];
  document: string;
  genre: string;
}

/**
 * Prompts are openings of held-out sentences: the first k words (k uniform in [minWords, maxWords]) of a sentence
 * at least four words longer than k, so a natural continuation exists; at most prompts.maxTokens tokens.
 */
export function buildPrompts(
  docs: readonly BrownDocument[],
  tokenizer: BpeTokenizer,
  options: { count: number; minWords: number; maxWords: number; maxTokens: number },
  rng: Rng,
): Prompt[] {
  const candidates: { sentence: string; document: string; genre: string }[] = [];
  for (const doc of docs) {
    for (const sentence of doc.sentences) {
      if (sentence.split(' ').length >= options.minWords + 4) candidates.push({ sentence, document: doc.id, genre: doc.genre });
    }
  }
  const tooFew = (usable: number, why: string, remedy: string): Error =>
    new Error(
      `prompts.count ${options.count} exceeds the ${usable} held-out sentences ${why}; lower prompts.count${remedy} or raise corpus.validationFraction / corpus.maxDocuments`,
    );
  if (candidates.length < options.count) throw tooFew(candidates.length, 'long enough for a prompt', ' or prompts.minWords');
  rng.shuffle(candidates);
  const prompts: Prompt[] = [];
  let skipped = 0;
  for (const candidate of candidates) {
    if (prompts.length === options.count) break;
    const words = candidate.sentence.split(' ');
    const longest = Math.min(options.maxWords, words.length - 4);
    let k = options.minWords + rng.int(longest - options.minWords + 1);
    let tokens = tokenizer.encode(words.slice(0, k).join(' '));
    // Later stages append label.responseTokens to a prompt within the context length: cut it back word by word to
    // prompts.maxTokens tokens, and skip a sentence whose first minWords words are already longer.
    while (tokens.length > options.maxTokens && k > options.minWords) tokens = tokenizer.encode(words.slice(0, --k).join(' '));
    if (tokens.length > options.maxTokens) {
      skipped += 1;
      continue;
    }
    prompts.push({ id: prompts.length, text: words.slice(0, k).join(' '), tokens, document: candidate.document, genre: candidate.genre });
  }
  if (prompts.length < options.count) {
    throw tooFew(
      candidates.length - skipped,
      `whose first prompts.minWords (${options.minWords}) words fit in prompts.maxTokens (${options.maxTokens}) tokens`,
      ', lower prompts.minWords, raise prompts.maxTokens (and pretrain.contextLength),',
    );
  }
  return prompts;
}

/**
 * The yardsticks a language model must beat: the entropy of the training unigram distribution, and the
 * cross-entropy a unigram model fitted on training tokens (add-one smoothed) gets on validation tokens.
 */
export function unigramBaselines(train: Int32Array, validation: Int32Array, vocabSize: number): { entropy: number; validationCrossEntropy: number } {
  const counts = new Float64Array(vocabSize);
  for (const id of train) counts[id] += 1;
  let entropy = 0;
  for (const count of counts) {
    if (count > 0) {
      const p = count / train.length;
      entropy -= p * Math.log(p);
    }
  }
  const total = train.length + vocabSize;
  let crossEntropy = 0;
  for (const id of validation) crossEntropy -= Math.log((counts[id] + 1) / total);
  return { entropy, validationCrossEntropy: crossEntropy / validation.length };
}

/** `batch` windows of `width` tokens at random offsets. */
export function randomWindows(stream: Int32Array, batch: number, width: number, rng: Rng): Int32Array {
  if (stream.length <= width) throw new Error(`token stream of ${stream.length} tokens is shorter than one window of ${width}`);
  const out = new Int32Array(batch * width);
  for (let b = 0; b < batch; b++) {
    const offset = rng.int(stream.length - width);
    out.set(stream.subarray(offset, offset + width), b * width);
  }
  return out;
}

/** `count` windows evenly spaced over the stream: a fixed validation set, the same for every model size. */
export function evenlySpacedWindows(stream: Int32Array, count: number, width: number): Int32Array[] {
  if (stream.length <= width) throw new Error(`validation stream of ${stream.length} tokens is shorter than one window of ${width}`);
  const stride = Math.max(1, Math.floor((stream.length - width) / count));
  const windows: Int32Array[] = [];
  for (let i = 0; i < count && i * stride + width <= stream.length; i++) windows.push(stream.slice(i * stride, i * stride + width));
  return windows;
}
