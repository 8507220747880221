import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ENCODER_ID,
  DEFAULT_MAX_CHARS,
  encodeInBatches,
  type DetailedContentEncoder,
} from '@privads/encoder';
import { createNodeEncoder } from '@privads/encoder-node';
import { cosine, longText, maxAbsDiff, parityTexts, rowNorm } from '../../encoder/test/helpers.js';

let encoder: DetailedContentEncoder;
beforeAll(async () => {
  encoder = await createNodeEncoder();
});
afterAll(async () => {
  await encoder.dispose();
});

describe('createNodeEncoder (default model)', () => {
  it('describes the default encoder', () => {
    expect(encoder.id).toBe(DEFAULT_ENCODER_ID);
    expect(encoder.dim).toBe(384);
    expect(encoder.maxChars).toBe(DEFAULT_MAX_CHARS);
    expect(encoder.tokenizerKind).toBe('hashed-ngrams');
  });

  it('returns one unit vector per text, non-ASCII included', async () => {
    const v = await encoder.encode(parityTexts);
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(parityTexts.length * 384);
    for (let i = 0; i < parityTexts.length; i++) expect(rowNorm(v, 384, i)).toBeCloseTo(1, 5);
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it('returns an empty matrix for no texts', async () => {
    expect((await encoder.encode([])).length).toBe(0);
  });

  it('is deterministic and independent of batch composition and internal batch size', async () => {
    const batch = await encoder.encode(parityTexts);
    const again = await encoder.encode(parityTexts);
    expect(Array.from(again)).toEqual(Array.from(batch));
    const single = new Float32Array(batch.length);
    for (let i = 0; i < parityTexts.length; i++)
      single.set(await encoder.encode([parityTexts[i] as string]), i * 384);
    expect(maxAbsDiff(single, batch)).toBeLessThan(1e-6);
    const small = await createNodeEncoder({ maxBatch: 3, intraOpNumThreads: 1 });
    try {
      expect(maxAbsDiff(await small.encode(parityTexts), batch)).toBeLessThan(1e-6);
    } finally {
      await small.dispose();
    }
  });

  it('serialises concurrent calls', async () => {
    const [a, b] = await Promise.all([
      encoder.encode(parityTexts.slice(0, 3)),
      encoder.encode(parityTexts.slice(3, 6)),
    ]);
    const both = await encoder.encode(parityTexts.slice(0, 6));
    expect(maxAbsDiff(new Float32Array([...a, ...b]), both)).toBeLessThan(1e-6);
  });

  it('truncates long text to maxChars code points and says so', async () => {
    expect(Array.from(longText).length).toBeGreaterThan(DEFAULT_MAX_CHARS);
    const prefix = Array.from(longText).slice(0, DEFAULT_MAX_CHARS).join('');
    const { vectors, truncated } = await encoder.encodeDetailed(['short', longText, prefix]);
    expect(truncated).toEqual([1]);
    expect(maxAbsDiff(vectors.subarray(384, 768), vectors.subarray(768, 1152))).toBe(0);
    const tail = Array.from(longText)
      .slice(0, DEFAULT_MAX_CHARS - 50)
      .join('');
    expect(
      maxAbsDiff(vectors.subarray(384, 768), (await encoder.encode([tail])).subarray(0, 384)),
    ).toBeGreaterThan(0);
  });
});

describe('lexical sanity of the default encoder', () => {
  // [anchor, shares words with anchor, shares no word with anchor]
  const cases: [string, string, string][] = [
    ['cheap running shoes', 'running shoes on sale', 'fresh organic vegetables'],
    ['luxury hotel in paris', 'paris hotel deals', 'cheap car insurance quotes'],
    ['learn python programming online', 'python programming course', 'handmade wooden furniture'],
    ['Winterreifen günstig kaufen', 'Winterreifen im Angebot', 'Urlaub am Meer buchen'],
    ['東京のホテル予約', '東京の格安ホテル', '北海道の新鮮なカニ'],
    ['organic coffee beans', 'fair trade coffee beans', 'mountain bike repair kit'],
    ['new electric car models', 'electric car charging', 'vintage vinyl records'],
    ['family vacation packages', 'vacation packages for families', 'office printer toner'],
  ];

  it('texts sharing words are closer than texts sharing none', async () => {
    for (const [anchor, related, unrelated] of cases) {
      const v = await encoder.encode([anchor, related, unrelated]);
      const near = cosine(v, 384, 0, 1);
      const far = cosine(v, 384, 0, 2);
      expect(near, `${anchor} ~ ${related} (${near}) vs ${unrelated} (${far})`).toBeGreaterThan(
        far + 0.15,
      );
    }
  });

  it('ranks by overlap: more shared words, higher similarity', async () => {
    const v = await encoder.encode([
      'red running shoes for women',
      'red running shoes for men',
      'red running jackets',
      'red apples',
      'stock market news',
    ]);
    const sims = [1, 2, 3, 4].map((i) => cosine(v, 384, 0, i));
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(sims[0]).toBeGreaterThan(0.6);
    expect(Math.abs(sims[3] as number)).toBeLessThan(0.2);
  });

  it('is case- and width-insensitive (NFKC + lower-case)', async () => {
    const v = await encoder.encode(['Running Shoes', 'running shoes', 'ＲＵＮＮＩＮＧ ＳＨＯＥＳ']);
    expect(cosine(v, 384, 0, 1)).toBeCloseTo(1, 6);
    expect(cosine(v, 384, 0, 2)).toBeCloseTo(1, 6);
  });
});

describe('encodeInBatches', () => {
  it('reports progress after each batch and matches one big call', async () => {
    const texts = Array.from({ length: 23 }, (_, i) => `ad number ${i} for product ${i % 5}`);
    const events: [number, number | undefined][] = [];
    const v = await encodeInBatches(encoder, texts, {
      batchSize: 5,
      onProgress: (p) => events.push([p.done, p.total]),
    });
    expect(events).toEqual([
      [5, 23],
      [10, 23],
      [15, 23],
      [20, 23],
      [23, 23],
    ]);
    expect(maxAbsDiff(v, await encoder.encode(texts))).toBeLessThan(1e-6);
  });

  it('names the index in the whole list of a rejected text, and checks its options', async () => {
    const texts = ['a', 'b', 'c', 'd', '   ', 'f'];
    await expect(encodeInBatches(encoder, texts, { batchSize: 2 })).rejects.toMatchObject({
      problem: 'empty',
      position: 4,
      message: expect.stringMatching(/^index 4: /) as unknown,
    });
    await expect(encodeInBatches(encoder, texts, { batchSize: 0 })).rejects.toThrow(RangeError);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(encodeInBatches(encoder, texts, { signal: controller.signal })).rejects.toThrow(
      'stop',
    );
  });
});
