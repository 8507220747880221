import type { ContentEncoder } from './content-encoder.js';
import { EncoderInputError } from './errors.js';
import { checkText } from './text.js';

/**
 * Storage for vectors keyed by {@link encodingCacheKey} (encoder id + text hash). Implementations:
 * {@link MemoryEncodingCache} (any runtime) and the Node file cache (`openFileEncodingCache`).
 */
export interface EncodingCache {
  /** The vector stored under `key`, if any. */
  get(key: string): Float32Array | undefined | Promise<Float32Array | undefined>;
  /** Stores a vector (the cache keeps its own copy). */
  set(key: string, vector: Float32Array): void | Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Cache key of a text under an encoder: lowercase hex SHA-256 of `utf8(encoderId) 0x00 utf8(text)`
 * (WebCrypto, available in Node ≥ 20, browsers' secure contexts and their workers). Keying on the
 * encoder id means a new model (with a new id) never reads the old model's vectors.
 * @param encoderId - {@link ContentEncoder.id}
 * @param text - the exact text given to `encode`
 * @returns 64 hex characters
 */
export async function encodingCacheKey(encoderId: string, text: string): Promise<string> {
  const id = encoder.encode(encoderId);
  const body = encoder.encode(text);
  const input = new Uint8Array(id.length + 1 + body.length);
  input.set(id, 0);
  input.set(body, id.length + 1);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** An in-memory least-recently-used cache. */
export class MemoryEncodingCache implements EncodingCache {
  private readonly entries = new Map<string, Float32Array>();

  /**
   * @param maxEntries - entries kept; the least recently used goes first. @defaultValue 10000
   * @throws RangeError unless a positive integer
   */
  constructor(readonly maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be an integer ≥ 1, got ${maxEntries}`);
  }

  /** Number of stored vectors. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): Float32Array | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, vector: Float32Array): void {
    this.entries.delete(key);
    this.entries.set(key, vector.slice());
    if (this.entries.size > this.maxEntries)
      this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** Hit counters of {@link withEncodingCache}. */
export interface EncodingCacheStats {
  hits: number;
  misses: number;
}

/**
 * Wraps an encoder with a cache: texts seen before (under the same encoder id) are not re-encoded;
 * repeated texts inside one batch are encoded once. Returned vectors are the cached floats, so a
 * cached run and a fresh run of the same encoder agree bit for bit on the cached rows.
 * @param inner - the encoder
 * @param cache - where vectors are kept
 * @returns an encoder with the same id and dim, plus `stats`
 */
export function withEncodingCache(
  inner: ContentEncoder,
  cache: EncodingCache,
): ContentEncoder & { readonly stats: EncodingCacheStats } {
  const stats: EncodingCacheStats = { hits: 0, misses: 0 };
  return {
    id: inner.id,
    dim: inner.dim,
    stats,
    async encode(texts) {
      if (!Array.isArray(texts))
        throw new TypeError(`texts must be an array of strings, got ${typeof texts}`);
      const dim = inner.dim;
      const keys = await Promise.all(
        texts.map((t, i) => encodingCacheKey(inner.id, checkText(t, i))),
      );
      const out = new Float32Array(texts.length * dim);
      const missing = new Map<string, number[]>();
      for (let i = 0; i < texts.length; i++) {
        const key = keys[i] as string;
        const hit = missing.has(key) ? undefined : await cache.get(key);
        if (hit !== undefined && hit.length === dim) {
          out.set(hit, i * dim);
          stats.hits++;
        } else {
          missing.set(key, [...(missing.get(key) ?? []), i]);
        }
      }
      if (missing.size === 0) return out;
      const positions = [...missing.values()];
      let fresh: Float32Array;
      try {
        fresh = await inner.encode(positions.map((p) => texts[p[0] as number] as string));
      } catch (error) {
        if (error instanceof EncoderInputError && error.location === 'index') {
          throw error.relocate('index', positions[error.position]?.[0] ?? error.position);
        }
        throw error;
      }
      stats.misses += positions.length;
      const entries = [...missing.keys()];
      for (let m = 0; m < positions.length; m++) {
        const vector = fresh.subarray(m * dim, (m + 1) * dim);
        await cache.set(entries[m] as string, vector);
        for (const i of positions[m] as number[]) out.set(vector, i * dim);
      }
      return out;
    },
    dispose: () => inner.dispose(),
  };
}
