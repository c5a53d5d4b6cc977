/**
 * Byte-level BPE in the GPT-2 mould: text is split into pre-tokens (a leading space stays on its word), each
 * pre-token's UTF-8 bytes start as single-byte tokens, and learned merges fuse adjacent pairs. Working on bytes
 * means every string is encodable with no unknown token.
 *
 * Ids: 0 is `<|endoftext|>`, 1..256 are the bytes 0..255, 257.. are merges in the order they were learned.
 */
export interface BpeTokenizerJson {
  kind: 'byte-bpe';
  version: 1;
  vocabSize: number;
  merges: [number, number][];
}

const END_OF_TEXT = 0;
const END_OF_TEXT_TEXT = '<|endoftext|>';
const BYTE_OFFSET = 1;
const BASE_VOCAB = 257;
const MIN_VOCAB = BASE_VOCAB;
const MAX_VOCAB = 16384;
/** Pair keys pack two ids below MAX_VOCAB; numeric order of keys is lexicographic order of pairs. */
const KEY_RADIX = MAX_VOCAB;
const MAX_CACHED_WORDS = 200_000;

/**
 * GPT-2's split: English contractions, letter runs, digit runs and punctuation runs (each optionally led by one
 * space), then whitespace. `\s+(?!\S)` leaves the last space of a run for the following word, so " the" is
 * learned once instead of as both "the" and " the" after every number of spaces. Every character lands in
 * exactly one match, so joining the matches restores the text.
 */
const PRETOKEN = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The pre-token split used for both training and encoding; `pretokenize(s).join('') === s`. */
export function pretokenize(text: string): string[] {
  return text.match(PRETOKEN) ?? [];
}

const utf8Encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is content here, and dropping it would break decode(encode(s)) === s.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const strictUtf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

export class BpeTokenizer {
  readonly vocabSize: number;
  readonly endOfText = END_OF_TEXT;
  private readonly merges: readonly (readonly [number, number])[];
  private readonly ranks = new Map<number, number>();
  private readonly tokenBytes: Uint8Array[] = [];
  private readonly cache = new Map<string, readonly number[]>();

  private constructor(merges: readonly (readonly [number, number])[]) {
    this.merges = merges;
    this.vocabSize = BASE_VOCAB + merges.length;
    this.tokenBytes.push(new Uint8Array(0));
    for (let byte = 0; byte < 256; byte++) this.tokenBytes.push(Uint8Array.of(byte));
    merges.forEach(([left, right], rank) => {
      this.ranks.set(pairKey(left, right), rank);
      const leftBytes = this.tokenBytes[left]!;
      const rightBytes = this.tokenBytes[right]!;
      const bytes = new Uint8Array(leftBytes.length + rightBytes.length);
      bytes.set(leftBytes);
      bytes.set(rightBytes, leftBytes.length);
      this.tokenBytes.push(bytes);
    });
  }

  /**
   * Learns up to `vocabSize - 257` merges. Fewer are learned only if the text runs out of adjacent pairs, in
   * which case the tokenizer's `vocabSize` is smaller than requested.
   */
  static train(texts: Iterable<string>, options: { vocabSize: number }): BpeTokenizer {
    checkVocabSize(options.vocabSize);
    const wordCounts = new Map<string, number>();
    for (const text of texts) {
      for (const word of pretokenize(text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
    return new BpeTokenizer(learnMerges(wordCounts, options.vocabSize - BASE_VOCAB));
  }

  static fromJSON(json: unknown): BpeTokenizer {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new Error(`tokenizer JSON must be an object, got ${describe(json)}`);
    }
    const record = json as Record<string, unknown>;
    if (record.kind !== 'byte-bpe') throw new Error(`tokenizer.kind must be "byte-bpe", got ${describe(record.kind)}`);
    if (record.version !== 1) throw new Error(`tokenizer.version must be 1, got ${describe(record.version)}`);
    checkVocabSize(record.vocabSize);
    const vocabSize = record.vocabSize as number;
    if (!Array.isArray(record.merges)) throw new Error(`tokenizer.merges must be an array, got ${describe(record.merges)}`);
    const merges: readonly unknown[] = record.merges;
    if (merges.length !== vocabSize - BASE_VOCAB) {
      throw new Error(
        `tokenizer.merges has ${merges.length} entries but tokenizer.vocabSize ${vocabSize} needs ` + `${vocabSize - BASE_VOCAB} (vocabSize - ${BASE_VOCAB})`,
      );
    }
    const seen = new Set<number>();
    const checked = merges.map((merge, i): [number, number] => {
      if (!Array.isArray(merge) || merge.length !== 2) {
        throw new Error(`tokenizer.merges[${i}] must be a pair [left, right], got ${describe(merge)}`);
      }
      // A merge may only combine bytes and earlier merges; the special token never takes part.
      const highest = BASE_VOCAB + i - 1;
      const pair = (merge as readonly unknown[]).map((id, side) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < BYTE_OFFSET || id > highest) {
          throw new Error(`tokenizer.merges[${i}][${side}] must be an integer id in [1, ${highest}], got ${describe(id)}`);
        }
        return id;
      });
      const key = pairKey(pair[0]!, pair[1]!);
      if (seen.has(key)) throw new Error(`tokenizer.merges[${i}] repeats the earlier merge ${describe(pair)}`);
      seen.add(key);
      return [pair[0]!, pair[1]!];
    });
    return new BpeTokenizer(checked);
  }

  toJSON(): BpeTokenizerJson {
    return {
      kind: 'byte-bpe',
      version: 1,
      vocabSize: this.vocabSize,
      merges: this.merges.map(([left, right]) => [left, right]),
    };
  }

  /**
   * `<|endoftext|>` inside `text` is ordinary text; callers append `endOfText` themselves. Lone surrogates
   * (not valid Unicode) become U+FFFD, as with any UTF-8 encoder.
   */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of pretokenize(text)) {
      for (const id of this.encodeWord(word)) ids.push(id);
    }
    return ids;
  }

  /** Invalid UTF-8 (e.g. a sequence cut mid-character) decodes to U+FFFD rather than throwing. */
  decode(ids: readonly number[]): string {
    let length = 0;
    for (const id of ids) length += this.bytesOf(id).length;
    const bytes = new Uint8Array(length);
    let offset = 0;
    for (const id of ids) {
      const tokenBytes = this.bytesOf(id);
      bytes.set(tokenBytes, offset);
      offset += tokenBytes.length;
    }
    return utf8Decoder.decode(bytes);
  }

  /** A token's text; bytes that are not whole UTF-8 characters on their own are shown as `\xNN`. */
  tokenText(id: number): string {
    if (id === END_OF_TEXT) return END_OF_TEXT_TEXT;
    const bytes = this.bytesOf(id);
    try {
      return strictUtf8Decoder.decode(bytes);
    } catch {
      return Array.from(bytes, (byte) => (byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    }
  }

  private bytesOf(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.tokenBytes[id] : undefined;
    if (bytes === undefined) throw new RangeError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize - 1}]`);
    return bytes;
  }

  private encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    let symbols = byteSymbols(word);
    // Merging the lowest-ranked pair present, repeatedly, replays training's merge order on this word.
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(pairKey(symbols[i]!, symbols[i + 1]!));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) break;
      const [left, right] = this.merges[bestRank]!;
      symbols = mergePair(symbols, left, right, BASE_VOCAB + bestRank);
    }
    if (this.cache.size >= MAX_CACHED_WORDS) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }
}

function checkVocabSize(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_VOCAB || value > MAX_VOCAB) {
    throw new Error(`tokenizer.vocabSize must be an integer in [${MIN_VOCAB}, ${MAX_VOCAB}], got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function pairKey(left: number, right: number): number {
  return left * KEY_RADIX + right;
}

function byteSymbols(word: string): number[] {
  return Array.from(utf8Encoder.encode(word), (byte) => byte + BYTE_OFFSET);
}

/** Left-to-right, non-overlapping: `a a a` with merge (a, a) becomes `aa a`. Returns `symbols` if unchanged. */
function mergePair(symbols: number[], left: number, right: number, merged: number): number[] {
  let out: number[] | undefined;
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out ??= symbols.slice(0, i);
      out.push(merged);
      i++;
    } else if (out !== undefined) {
      out.push(symbols[i]!);
    }
  }
  return out ?? symbols;
}

/**
 * Classic BPE over unique pre-tokens weighted by frequency. Pair counts are updated incrementally: each merge
 * revisits only the words that contained the merged pair (found through a pair -> words index), and a max-heap
 * with lazy deletion finds the next best pair without rescanning all counts.
 */
function learnMerges(wordCounts: ReadonlyMap<string, number>, maxMerges: number): [number, number][] {
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(byteSymbols(word));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addOccurrence = (key: number, wordIndex: number): void => {
    const list = pairWords.get(key);
    if (list === undefined) pairWords.set(key, [wordIndex]);
    else if (list[list.length - 1] !== wordIndex) list.push(wordIndex);
  };
  words.forEach((symbols, wordIndex) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + freqs[wordIndex]!);
      addOccurrence(key, wordIndex);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: [number, number][] = [];
  const visitedAt = new Int32Array(words.length).fill(-1);
  while (merges.length < maxMerges) {
    const best = popCurrent(heap, pairCounts);
    if (best === undefined) break;
    const left = Math.floor(best / KEY_RADIX);
    const right = best % KEY_RADIX;
    const mergedId = BASE_VOCAB + merges.length;
    const step = merges.length;
    merges.push([left, right]);

    const deltas = new Map<number, number>();
    const addDelta = (key: number, amount: number): void => {
      deltas.set(key, (deltas.get(key) ?? 0) + amount);
    };
    // Occurrence lists are append-only, so they can hold duplicates and words that no longer have the pair.
    for (const wordIndex of pairWords.get(best) ?? []) {
      if (visitedAt[wordIndex] === step) continue;
      visitedAt[wordIndex] = step;
      const before = words[wordIndex]!;
      const after = mergePair(before, left, right, mergedId);
      if (after === before) continue;
      const freq = freqs[wordIndex]!;
      for (let i = 0; i + 1 < before.length; i++) addDelta(pairKey(before[i]!, before[i + 1]!), -freq);
      for (let i = 0; i + 1 < after.length; i++) {
        const key = pairKey(after[i]!, after[i + 1]!);
        addDelta(key, freq);
        if (after[i] === mergedId || after[i + 1] === mergedId) addOccurrence(key, wordIndex);
      }
      words[wordIndex] = after;
    }
    pairWords.delete(best);
    for (const [key, delta] of deltas) {
      if (delta === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + delta;
      if (count > 0) {
        pairCounts.set(key, count);
        heap.push(count, key);
      } else {
        pairCounts.delete(key);
        pairWords.delete(key);
      }
    }
  }
  return merges;
}

/** Pops until an entry matches its pair's current count; older entries for the same pair are stale. */
function popCurrent(heap: PairHeap, pairCounts: ReadonlyMap<number, number>): number | undefined {
  while (heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCounts.get(key) === count) return key;
  }
  return undefined;
}

/** Max-heap on count; ties go to the smaller key, i.e. the lexicographically smallest (left, right) pair. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const ca = this.counts[a]!;
    const cb = this.counts[b]!;
    return ca > cb || (ca === cb && this.keys[a]! < this.keys[b]!);
  }

  private swap(a: number, b: number): void {
    [this.counts[a], this.counts[b]] = [this.counts[b]!, this.counts[a]!];
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
  }
}
