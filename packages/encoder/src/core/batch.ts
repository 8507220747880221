import type { ContentEncoder } from './content-encoder.js';
import { EncoderInputError } from './errors.js';
import type { ProgressCallback } from './progress.js';

/** Options of {@link encodeInBatches}. */
export interface BatchEncodeOptions {
  /** Texts per `encoder.encode` call. @defaultValue 64 */
  readonly batchSize?: number;
  /** Called after every batch. */
  readonly onProgress?: ProgressCallback;
  /** Stops between batches (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * Checks a batch size option.
 * @param value - the option (undefined → default)
 * @param fallback - default
 * @returns the batch size
 * @throws RangeError unless a positive integer
 */
export function batchSizeOption(value: number | undefined, fallback = 64): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batchSize must be an integer ≥ 1, got ${size}`);
  return size;
}

/**
 * Encodes many texts in batches, reporting progress after each (for large catalogs).
 * @param encoder - any content encoder
 * @param texts - the texts
 * @param options - batch size, progress callback, abort signal
 * @returns `texts.length × encoder.dim` vectors
 * @throws {@link EncoderInputError} with the index in `texts` of a rejected text
 */
export async function encodeInBatches(
  encoder: ContentEncoder,
  texts: readonly string[],
  options: BatchEncodeOptions = {},
): Promise<Float32Array> {
  const batchSize = batchSizeOption(options.batchSize);
  const started = performance.now();
  const out = new Float32Array(texts.length * encoder.dim);
  for (let start = 0; start < texts.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const chunk = texts.slice(start, start + batchSize);
    try {
      out.set(await encoder.encode(chunk), start * encoder.dim);
    } catch (error) {
      throw error instanceof EncoderInputError && error.location === 'index'
        ? error.relocate('index', start + error.position)
        : error;
    }
    options.onProgress?.({
      done: start + chunk.length,
      total: texts.length,
      elapsedMs: performance.now() - started,
    });
  }
  return out;
}
