import type { HashedNgramsWeights } from './spec.js';

/** Settings of {@link hashedNgramFeatures}. */
export interface HashedNgramsOptions {
  /** Number of hash buckets (rows of the model's embedding table). */
  readonly buckets: number;
  /** 32-bit hash seed. */
  readonly seed: number;
  /** Per-kind L2 norm of the feature sub-vectors. */
  readonly weights: HashedNgramsWeights;
}

/** The sparse weighted bag of one text: distinct bucket ids in ascending order and their weights. */
export interface HashedFeatures {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
}

// Han, Hiragana and Katakana are written without spaces: each character is its own "word", so
// unigrams and bigrams become character unigrams and bigrams (the usual lexical unit for CJK).
const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}`;
const TOKEN_PATTERN = new RegExp(
  String.raw`[${CJK}]|\p{S}|(?:(?![${CJK}])[\p{L}\p{M}\p{N}])+`,
  'gu',
);

// Kind prefixes keep the three feature families apart in hash space ("ab" the word ≠ "ab" the trigram).
const WORD = 'w\u0001';
const BIGRAM = 'b\u0001';
const TRIGRAM = 'c\u0001';
const WORD_START = '\u0002';
const WORD_END = '\u0003';

/**
 * Splits a text into the tokens the `hashed-ngrams` tokenizer uses: NFKC-normalised, lower-cased
 * runs of letters/marks/digits, single CJK characters and single symbols (emoji, currency, math);
 * punctuation and whitespace separate tokens and are dropped.
 * @param text - any well-formed string
 * @returns the tokens in order
 */
export function hashedNgramTokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN_PATTERN) ?? [];
}

/**
 * The features of one text, hashed and weighted. Each kind (word unigrams, word bigrams,
 * character trigrams of words with ≥ 2 code points) gets sublinear term frequencies `1 + ln(tf)`,
 * scaled so that the kind's sub-vector has L2 norm `weights[kind]`; features falling into the same
 * bucket add up. Pure integer hashing and the same arithmetic in every JavaScript engine make the
 * output identical in Node and in browsers.
 * @param text - the (already validated and truncated) text
 * @param options - buckets, seed and kind weights
 * @returns the bag, empty when the text has no tokens
 */
export function hashedNgramFeatures(text: string, options: HashedNgramsOptions): HashedFeatures {
  const tokens = hashedNgramTokens(text);
  const words = new Map<string, number>();
  const bigrams = new Map<string, number>();
  const trigrams = new Map<string, number>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    increment(words, token);
    if (i + 1 < tokens.length) increment(bigrams, `${token} ${tokens[i + 1] as string}`);
    const chars = Array.from(`${WORD_START}${token}${WORD_END}`);
    if (chars.length >= 4) {
      for (let c = 0; c + 3 <= chars.length; c++)
        increment(trigrams, `${chars[c]}${chars[c + 1]}${chars[c + 2]}`);
    }
  }
  const bag = new Map<number, number>();
  addKind(bag, words, WORD, options.weights.word, options);
  addKind(bag, bigrams, BIGRAM, options.weights.bigram, options);
  addKind(bag, trigrams, TRIGRAM, options.weights.trigram, options);
  const ids = Int32Array.from(bag.keys()).sort();
  const weights = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) weights[i] = bag.get(ids[i] as number) as number;
  return { ids, weights };
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function addKind(
  bag: Map<number, number>,
  counts: Map<string, number>,
  prefix: string,
  norm: number,
  options: HashedNgramsOptions,
): void {
  if (norm === 0 || counts.size === 0) return;
  let sumSquares = 0;
  for (const count of counts.values()) {
    const w = 1 + Math.log(count);
    sumSquares += w * w;
  }
  const scale = norm / Math.sqrt(sumSquares);
  for (const [feature, count] of counts) {
    const bucket = hashString(prefix + feature, options.seed) % options.buckets;
    bag.set(bucket, (bag.get(bucket) ?? 0) + (1 + Math.log(count)) * scale);
  }
}

/**
 * 32-bit hash of a string's UTF-16 code units: FNV-1a with a seeded offset basis, finished with
 * MurmurHash3's `fmix32` so that low bits (used by the modulo) depend on every input unit.
 * @param text - any string
 * @param seed - 32-bit seed
 * @returns unsigned 32-bit hash
 */
export function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
