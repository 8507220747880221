import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { orOfWords, orOfWordsLoop } from '../src/words-or.js';

const naiveOr = (words: Uint32Array): number => words.reduce((a, w) => (a | w) >>> 0, 0);

describe('orOfWords', () => {
  it('is the OR of every word, in the kernel and in the loop, for any length and offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 70 }),
        fc.nat({ max: 3 }),
        (values, skip) => {
          // A view that starts past its buffer's start, as a decoded upload's words do.
          const words = Uint32Array.from([
            ...new Array<number>(skip).fill(0xffffffff),
            ...values,
          ]).subarray(skip);
          expect(orOfWords(words)).toBe(naiveOr(words));
          expect(orOfWordsLoop(words)).toBe(naiveOr(words));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds one high bit anywhere in a vector larger than the kernel memory it starts with', () => {
    const words = new Uint32Array(100_000).fill(0x0f0f);
    expect(orOfWords(words)).toBe(0x0f0f);
    for (const at of [0, 7, 8, 65_535, 99_999]) {
      words[at] = 2 ** 31;
      expect(orOfWords(words)).toBe((2 ** 31 + 0x0f0f) >>> 0);
      words[at] = 0x0f0f;
    }
  });
});

describe('orOfWords without WebAssembly', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('falls back to the loop where the kernel cannot run', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const fresh = await import('../src/words-or.js');
    const words = Uint32Array.from([1, 2, 4, 2 ** 31, 16, 32, 64, 128, 256]);
    expect(fresh.orOfWords(words)).toBe(naiveOr(words));
  });
});
