import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '@privads/protocol';
import {
  EncoderInputError,
  MemoryEncodingCache,
  encodingCacheKey,
  withEncodingCache,
  type ContentEncoder,
} from '@privads/encoder';
import { openFileEncodingCache } from '@privads/encoder-node';

const dir = mkdtempSync(join(tmpdir(), 'privads-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic fake encoder that records what it was asked to encode. */
function recordingEncoder(seen: string[][], id = 'enc-a'): ContentEncoder {
  return {
    id,
    dim: 3,
    encode(texts) {
      seen.push([...texts]);
      const bad = texts.findIndex((t) => t.trim() === '');
      if (bad >= 0)
        return Promise.reject(
          new EncoderInputError('empty', 'index', bad, 'text is empty or whitespace only'),
        );
      return Promise.resolve(
        Float32Array.from(texts.flatMap((t) => [t.length, t.charCodeAt(0), 0.1])),
      );
    },
    dispose: () => Promise.resolve(),
  };
}

describe('encodingCacheKey', () => {
  it('is the SHA-256 of encoder id, NUL, text (UTF-8)', async () => {
    const expected = createHash('sha256').update('enc-a\u0000héllo 東京').digest('hex');
    expect(await encodingCacheKey('enc-a', 'héllo 東京')).toBe(expected);
    expect(await encodingCacheKey('enc-b', 'héllo 東京')).not.toBe(expected);
  });
});

describe('MemoryEncodingCache', () => {
  it('evicts the least recently used entry and stores copies', () => {
    const cache = new MemoryEncodingCache(2);
    const v = Float32Array.of(1, 2);
    cache.set('a', v);
    v[0] = 9;
    cache.set('b', Float32Array.of(3));
    expect(cache.get('a')).toEqual(Float32Array.of(1, 2));
    cache.set('c', Float32Array.of(4));
    expect([
      cache.get('a') !== undefined,
      cache.get('b'),
      cache.get('c') !== undefined,
      cache.size,
    ]).toEqual([true, undefined, true, 2]);
    expect(() => new MemoryEncodingCache(0)).toThrow(RangeError);
  });
});

describe('withEncodingCache', () => {
  it('encodes each distinct unseen text once and serves repeats from the cache, bit-identical', async () => {
    const seen: string[][] = [];
    const inner = recordingEncoder(seen);
    const cached = withEncodingCache(inner, new MemoryEncodingCache());
    const first = await cached.encode(['ab', 'c', 'ab']);
    expect(seen).toEqual([['ab', 'c']]);
    expect(Array.from(first)).toEqual(Array.from(await inner.encode(['ab', 'c', 'ab'])));
    const second = await cached.encode(['c', 'new', 'ab']);
    expect(seen.at(-1)).toEqual(['new']);
    expect(Array.from(second.subarray(0, 3))).toEqual(Array.from(first.subarray(3, 6)));
    expect(Array.from(second.subarray(6, 9))).toEqual(Array.from(first.subarray(0, 3)));
    expect(cached.stats).toEqual({ hits: 2, misses: 3 });
    expect([cached.id, cached.dim]).toEqual(['enc-a', 3]);
  });

  it('keys on the encoder id: another encoder never reads these vectors', async () => {
    const cache = new MemoryEncodingCache();
    const seenA: string[][] = [];
    const seenB: string[][] = [];
    await withEncodingCache(recordingEncoder(seenA, 'enc-a'), cache).encode(['same text']);
    await withEncodingCache(recordingEncoder(seenB, 'enc-b'), cache).encode(['same text']);
    expect(seenB).toEqual([['same text']]);
  });

  it("reports a rejected text at its index in the caller's batch", async () => {
    const cache = new MemoryEncodingCache();
    const cached = withEncodingCache(recordingEncoder([]), cache);
    await cached.encode(['a', 'b']);
    await expect(cached.encode(['a', 'b', 'c', ' \t'])).rejects.toMatchObject({
      problem: 'empty',
      position: 3,
    });
    await expect(cached.encode(['a', 'x\uD800'])).rejects.toMatchObject({
      problem: 'malformed-unicode',
      position: 1,
    });
    await expect(cached.encode(['a', 'b', 7 as unknown as string])).rejects.toMatchObject({
      problem: 'not-string',
      position: 2,
    });
  });
});

describe('openFileEncodingCache', () => {
  const key = (i: number) => createHash('sha256').update(String(i)).digest('hex');
  const vec = (i: number) => Float32Array.of(i, -i, i / 3);

  it('persists vectors across reopen, buffering and flushing', async () => {
    const path = join(dir, 'a.cache');
    const cache = await openFileEncodingCache(path, { dim: 3 });
    for (let i = 0; i < 300; i++) await cache.set(key(i), vec(i));
    expect(await cache.get(key(299))).toEqual(vec(299)); // still buffered
    expect(await cache.get(key(5))).toEqual(vec(5)); // flushed after 256
    await cache.set(key(5), vec(999)); // existing keys are kept
    await cache.close();
    expect(statSync(path).size).toBe(16 + 300 * (32 + 12));
    const again = await openFileEncodingCache(path, { dim: 3 });
    expect(again.size).toBe(300);
    for (const i of [0, 5, 255, 256, 299]) expect(await again.get(key(i))).toEqual(vec(i));
    expect(await again.get(key(1000))).toBeUndefined();
    await again.close();
    await expect(again.get(key(0))).rejects.toBeInstanceOf(StorageError);
  });

  it('drops a torn last record', async () => {
    const path = join(dir, 'b.cache');
    const cache = await openFileEncodingCache(path, { dim: 3 });
    await cache.set(key(1), vec(1));
    await cache.set(key(2), vec(2));
    await cache.close();
    truncateSync(path, 16 + 44 + 20);
    const again = await openFileEncodingCache(path, { dim: 3 });
    expect(again.size).toBe(1);
    await again.set(key(3), vec(3));
    await again.close();
    const third = await openFileEncodingCache(path, { dim: 3 });
    expect([await third.get(key(1)), await third.get(key(2)), await third.get(key(3))]).toEqual([
      vec(1),
      undefined,
      vec(3),
    ]);
    await third.close();
  });

  it('refuses a file that is not a cache or holds another dimension', async () => {
    const other = join(dir, 'c.cache');
    writeFileSync(other, 'not a cache at all, definitely');
    await expect(openFileEncodingCache(other, { dim: 3 })).rejects.toThrow(
      /is not a PrivAds encoding cache/,
    );
    const path = join(dir, 'd.cache');
    await (await openFileEncodingCache(path, { dim: 3 })).close();
    await expect(openFileEncodingCache(path, { dim: 4 })).rejects.toMatchObject({
      code: 'STORAGE_CORRUPT',
      message: `${path} holds 3-dimensional vectors; this encoder has dim 4`,
    });
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('PAEC');
  });

  it('works as the store of withEncodingCache', async () => {
    const path = join(dir, 'e.cache');
    const seen: string[][] = [];
    let cache = await openFileEncodingCache(path, { dim: 3 });
    await withEncodingCache(recordingEncoder(seen), cache).encode(['one', 'two']);
    await cache.close();
    cache = await openFileEncodingCache(path, { dim: 3 });
    const cached = withEncodingCache(recordingEncoder(seen), cache);
    await cached.encode(['two', 'one', 'three']);
    await cache.close();
    expect(seen).toEqual([['one', 'two'], ['three']]);
    expect(cached.stats).toEqual({ hits: 2, misses: 1 });
  });
});
