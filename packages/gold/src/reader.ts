/**
 * The human's reader: a token-level interpolated Kneser–Ney n-gram model of the Brown training documents, over the
 * pipeline's own BPE tokens (so its held-out log-loss is in the units of the pretrained LMs' validation loss, and it
 * reads exactly the tokens a policy wrote). Counted once from a token stream; deterministic (no sampling, no float
 * reductions whose order varies); nothing is trained by gradient, so it cannot drift with the engine.
 *
 * p_k(w | c) = (max(n_k(c·w) − D_k, 0) + D_k · types_k(c) · p_{k−1}(w | c')) / n_k(c), or p_{k−1}(w | c') when the
 * context c (k − 1 tokens) was never seen; c' drops c's oldest token; p_0(w) = 1 / V. The highest order counts
 * occurrences; lower orders count continuations (distinct tokens seen before the n-gram), as Kneser–Ney does.
 * D_k = n1 / (n1 + 2·n2) from the counts of counts at order k (Ney, Essen and Kneser 1994).
 */

/** An n-gram's tokens packed as a base-V number: exact while V^order ≤ 2^53. */
function pack(tokens: ArrayLike<number>, start: number, length: number, vocabSize: number): number {
  let code = 0;
  for (let i = 0; i < length; i++) code = code * vocabSize + tokens[start + i];
  return code;
}

/** Distinct values of `codes` in ascending order and how often each occurs (sorts `codes` in place). */
function countSorted(codes: Float64Array): { keys: Float64Array; counts: Float64Array } {
  codes.sort();
  let distinct = 0;
  for (let i = 0; i < codes.length; i++) if (i === 0 || codes[i] !== codes[i - 1]) distinct++;
  const keys = new Float64Array(distinct);
  const counts = new Float64Array(distinct);
  let j = -1;
  for (let i = 0; i < codes.length; i++) {
    if (i === 0 || codes[i] !== codes[i - 1]) keys[++j] = codes[i];
    counts[j]++;
  }
  return { keys, counts };
}

/** Index of `key` in ascending `keys`, or −1. */
function find(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = keys[mid];
    if (value === key) return mid;
    if (value < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * One order's counts as sorted arrays (an n-gram's code is context·V + token, so one context's n-grams are
 * adjacent): compact, built by sorting rather than hashing 2M float keys, and looked up by binary search.
 */
interface Level {
  /** n-gram codes, ascending, and their counts (occurrences at the highest order, continuation counts below). */
  keys: Float64Array;
  counts: Float64Array;
  /** Context codes, ascending; each one's summed count and its number of distinct next tokens. */
  contexts: Float64Array;
  totals: Float64Array;
  types: Float64Array;
  discount: number;
}

function level(keys: Float64Array, counts: Float64Array, vocabSize: number): Level {
  let distinct = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || Math.floor(keys[i] / vocabSize) !== Math.floor(keys[i - 1] / vocabSize)) distinct++;
  const contexts = new Float64Array(distinct);
  const totals = new Float64Array(distinct);
  const types = new Float64Array(distinct);
  let j = -1;
  let once = 0;
  let twice = 0;
  for (let i = 0; i < keys.length; i++) {
    const context = Math.floor(keys[i] / vocabSize);
    if (i === 0 || context !== contexts[j]) contexts[++j] = context;
    totals[j] += counts[i];
    types[j]++;
    if (counts[i] === 1) once++;
    else if (counts[i] === 2) twice++;
  }
  const discount = once + twice === 0 ? 0.5 : Math.min(0.95, Math.max(0.05, once / (once + 2 * twice)));
  return { keys, counts, contexts, totals, types, discount };
}

export interface ReaderSummary {
  order: number;
  vocabSize: number;
  trainingTokens: number;
  discounts: number[];
}

export class NgramReader {
  private constructor(
    readonly order: number,
    readonly vocabSize: number,
    private readonly levels: Level[],
    readonly trainingTokens: number,
  ) {}

  /** Counts every n-gram of `tokens` (a stream of ids < vocabSize) up to `order`. */
  static train(tokens: ArrayLike<number>, vocabSize: number, order: number): NgramReader {
    if (!Number.isInteger(order) || order < 1) throw new Error(`reader order must be an integer ≥ 1, got ${order}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new Error(`reader vocabulary must be an integer ≥ 2, got ${vocabSize}`);
    if (vocabSize ** order > Number.MAX_SAFE_INTEGER) {
      throw new Error(`reader order ${order} over a vocabulary of ${vocabSize} does not fit an exact n-gram code (vocabSize^order ≤ 2^53)`);
    }
    if (tokens.length < order) throw new Error(`the reader's training stream has ${tokens.length} tokens, fewer than its order ${order}`);
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i];
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw new Error(`the reader's training stream has token ${id} at ${i}, outside [0, ${vocabSize})`);
    }
    const codes = new Float64Array(tokens.length - order + 1);
    for (let i = 0; i < codes.length; i++) codes[i] = pack(tokens, i, order, vocabSize);
    const top = countSorted(codes);
    const levels: Level[] = new Array(order);
    levels[order - 1] = level(top.keys, top.counts, vocabSize);
    // Continuation counts: each distinct (k+1)-gram adds one to the k-gram it ends with.
    for (let k = order - 1; k >= 1; k--) {
      const modulus = vocabSize ** k;
      const above = levels[k].keys;
      const suffixes = new Float64Array(above.length);
      for (let i = 0; i < above.length; i++) suffixes[i] = above[i] % modulus;
      const continued = countSorted(suffixes);
      levels[k - 1] = level(continued.keys, continued.counts, vocabSize);
    }
    return new NgramReader(order, vocabSize, levels, tokens.length);
  }

  summary(): ReaderSummary {
    return { order: this.order, vocabSize: this.vocabSize, trainingTokens: this.trainingTokens, discounts: this.levels.map((l) => l.discount) };
  }

  /** ln p(token | the last order − 1 tokens of `history` before `end`). */
  logProb(history: ArrayLike<number>, end: number, token: number): number {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) throw new Error(`reader: token ${token} outside [0, ${this.vocabSize})`);
    const available = Math.min(this.order - 1, end);
    let p = 1 / this.vocabSize;
    for (let k = 1; k <= available + 1; k++) {
      const counts = this.levels[k - 1];
      const context = pack(history, end - (k - 1), k - 1, this.vocabSize);
      const c = find(counts.contexts, context);
      if (c < 0) continue;
      const n = find(counts.keys, context * this.vocabSize + token);
      const count = n < 0 ? 0 : counts.counts[n];
      p = (Math.max(count - counts.discount, 0) + counts.discount * counts.types[c] * p) / counts.totals[c];
    }
    return Math.log(p);
  }

  /** Mean −ln p per token over a stream, each token read after the tokens before it (the first one after none). */
  crossEntropy(tokens: ArrayLike<number>): number {
    let sum = 0;
    for (let i = 0; i < tokens.length; i++) sum -= this.logProb(tokens, i, tokens[i]);
    return sum / Math.max(1, tokens.length);
  }

  /**
   * Mean ln p of the response's tokens, each read after start + prompt + the response before it (the pretraining
   * stream puts end-of-text before every sentence a prompt opens). An empty response reads as uniform: ln(1 / V).
   */
  meanLogProb(start: number, prompt: readonly number[], response: readonly number[]): number {
    if (response.length === 0) return -Math.log(this.vocabSize);
    const sequence = [start, ...prompt, ...response];
    const first = sequence.length - response.length;
    let sum = 0;
    for (let i = first; i < sequence.length; i++) sum += this.logProb(sequence, i, sequence[i]);
    return sum / response.length;
  }
}
