import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HASHED_NGRAMS_WEIGHTS,
  hashString,
  hashedNgramFeatures,
  hashedNgramTokens,
} from '@privads/encoder';

const options = { buckets: 16384, seed: 0, weights: DEFAULT_HASHED_NGRAMS_WEIGHTS };
const PINNED_HELLO = 3216546558;

describe('hashedNgramTokens', () => {
  it('lower-cases, applies NFKC, drops punctuation and keeps symbols as tokens', () => {
    expect(hashedNgramTokens('Hello, World! Save $5 🎉')).toEqual([
      'hello',
      'world',
      'save',
      '$',
      '5',
      '🎉',
    ]);
    expect(hashedNgramTokens('ＦＵＬＬ－ＷＩＤＴＨ ﬁnance')).toEqual(['full', 'width', 'finance']);
    expect(hashedNgramTokens("don't re-use")).toEqual(['don', 't', 're', 'use']);
    expect(hashedNgramTokens('Café naïve')).toEqual(['café', 'naïve']);
  });

  it('splits Han, Hiragana and Katakana into single characters but keeps other scripts as words', () => {
    expect(hashedNgramTokens('東京タワー abc')).toEqual(['東', '京', 'タ', 'ワ', 'ー', 'abc']);
    expect(hashedNgramTokens('서울 맛집')).toEqual(['서울', '맛집']);
    expect(hashedNgramTokens('Привет мир')).toEqual(['привет', 'мир']);
    expect(hashedNgramTokens('नमस्ते')).toEqual(['नमस्ते']);
  });

  it('yields nothing for punctuation and whitespace only', () => {
    expect(hashedNgramTokens('... !!! ?? — ')).toEqual([]);
  });
});

describe('hashString', () => {
  // An independent BigInt implementation of FNV-1a (seeded basis) + MurmurHash3 fmix32.
  const reference = (text: string, seed: number): number => {
    const m32 = (x: bigint) => x & 0xffffffffn;
    let h = m32(0x811c9dc5n ^ BigInt(seed));
    for (let i = 0; i < text.length; i++) h = m32((h ^ BigInt(text.charCodeAt(i))) * 0x01000193n);
    h ^= h >> 16n;
    h = m32(h * 0x85ebca6bn);
    h ^= h >> 13n;
    h = m32(h * 0xc2b2ae35n);
    h ^= h >> 16n;
    return Number(h);
  };

  it('matches a reference implementation', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.nat(0xffffffff),
        (s, seed) => hashString(s, seed) === reference(s, seed),
      ),
    );
  });

  // Pinned values: changing the hash silently moves every vector of the default encoder.
  it('is stable', () => {
    expect([
      hashString('', 0),
      hashString('a', 0),
      hashString('a', 1),
      hashString('w\u0001東京', 0),
    ]).toEqual([
      reference('', 0),
      reference('a', 0),
      reference('a', 1),
      reference('w\u0001東京', 0),
    ]);
    expect(hashString('w\u0001hello', 0)).toBe(PINNED_HELLO);
  });

  it('returns unsigned 32-bit integers', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(0xffffffff), (s, seed) => {
        const h = hashString(s, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });
});

describe('hashedNgramFeatures', () => {
  it('gives distinct ascending ids below the bucket count and positive weights', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 2, max: 1 << 16 }),
        (text, buckets) => {
          const { ids, weights } = hashedNgramFeatures(text, { ...options, buckets });
          expect(ids.length).toBe(weights.length);
          for (let i = 0; i < ids.length; i++) {
            expect(ids[i]).toBeGreaterThanOrEqual(0);
            expect(ids[i]).toBeLessThan(buckets);
            if (i > 0) expect(ids[i]).toBeGreaterThan(ids[i - 1] as number);
            expect(weights[i]).toBeGreaterThan(0);
          }
        },
      ),
    );
  });

  it('gives each feature kind the L2 norm of its weight (no collisions in a large table)', () => {
    const big = { ...options, buckets: 1 << 24 };
    const { weights } = hashedNgramFeatures('the cat sat on the mat', big);
    let sumSquares = 0;
    for (const w of weights) sumSquares += w * w;
    const { word, bigram, trigram } = DEFAULT_HASHED_NGRAMS_WEIGHTS;
    expect(sumSquares).toBeCloseTo(word ** 2 + bigram ** 2 + trigram ** 2, 5);
    // "the" twice: sublinear tf 1 + ln 2 against 1 for the other words.
    const single = hashedNgramFeatures('the', {
      ...big,
      weights: { word: 1, bigram: 0, trigram: 0 },
    });
    expect(Array.from(single.weights)).toEqual([1]);
    const twice = hashedNgramFeatures('cat the the', {
      ...big,
      weights: { word: 1, bigram: 0, trigram: 0 },
    });
    const sorted = Array.from(twice.weights).sort();
    const norm = Math.sqrt(1 + (1 + Math.log(2)) ** 2);
    expect(sorted[0]).toBeCloseTo(1 / norm, 6);
    expect(sorted[1]).toBeCloseTo((1 + Math.log(2)) / norm, 6);
  });

  it('builds word bigrams and character trigrams of words with at least two code points', () => {
    const only = (w: Partial<typeof DEFAULT_HASHED_NGRAMS_WEIGHTS>) => ({
      ...options,
      buckets: 1 << 24,
      weights: { word: 0, bigram: 0, trigram: 0, ...w },
    });
    expect(hashedNgramFeatures('a b c', only({ bigram: 1 })).ids.length).toBe(2);
    // "ab" → ^ab, ab$ ; "c" (one code point) → none.
    expect(hashedNgramFeatures('ab c', only({ trigram: 1 })).ids.length).toBe(2);
    // Code points, not UTF-16 units: two Deseret letters (4 UTF-16 units) → ^xy, xy$.
    expect(hashedNgramFeatures('\u{10400}\u{10401}', only({ trigram: 1 })).ids.length).toBe(2);
  });

  it('is deterministic and depends on the seed', () => {
    const a = hashedNgramFeatures('running shoes for sale', options);
    const b = hashedNgramFeatures('running shoes for sale', options);
    const c = hashedNgramFeatures('running shoes for sale', { ...options, seed: 1 });
    expect(a).toEqual(b);
    expect(Array.from(c.ids)).not.toEqual(Array.from(a.ids));
  });

  it('returns an empty bag for text without tokens', () => {
    expect(hashedNgramFeatures('?!', options).ids.length).toBe(0);
  });
});
