import { batchSizeOption } from './batch.js';
import type { ContentEncoder } from './content-encoder.js';
import { EncoderInputError, messageOf } from './errors.js';
import type { ProgressCallback } from './progress.js';
import { decodeUtf8Strict } from './text.js';

/** Bytes arriving in chunks: a Node `Readable` (file, stdin), a web `ReadableStream`, any async iterable. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** One JSONL record. */
export interface JsonlRecord {
  /** 1-based line number. */
  readonly line: number;
  /** The parsed object. */
  readonly record: Record<string, unknown>;
  /** Input bytes consumed up to and including this line. */
  readonly bytes: number;
}

/**
 * Reads JSON Lines: one JSON object per line, `\n` or `\r\n` endings, blank lines skipped, a
 * leading byte-order mark dropped. Each line is decoded as strict UTF-8.
 * @param input - the bytes
 * @param source - input name for errors (file name, `'stdin'`)
 * @returns the records, in order
 * @throws {@link EncoderInputError} `invalid-utf8` or `invalid-json` with the line number
 */
export async function* readJsonl(input: ByteSource, source = 'input'): AsyncGenerator<JsonlRecord> {
  let pending: Uint8Array[] = [];
  let line = 0;
  let consumed = 0;
  const parse = (bytes: Uint8Array, terminated: boolean): JsonlRecord | undefined => {
    line++;
    consumed += bytes.length + (terminated ? 1 : 0);
    const text = decodeUtf8Strict(bytes, line, source).replace(/\r$/, '');
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new EncoderInputError('invalid-json', 'line', line, `${source}: ${messageOf(cause)}`, {
        cause,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new EncoderInputError(
        'invalid-json',
        'line',
        line,
        `${source}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : String(value)}`,
      );
    }
    return { line, record: value as Record<string, unknown>, bytes: consumed };
  };
  for await (const chunk of iterate(input)) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      pending.push(chunk.subarray(from, nl));
      const record = parse(concat(pending), true);
      pending = [];
      if (record) yield record;
      from = nl + 1;
    }
    if (from < chunk.length) pending.push(chunk.slice(from));
  }
  if (pending.length > 0) {
    const record = parse(concat(pending), false);
    if (record) yield record;
  }
}

/** Options of {@link encodeJsonlStream}. */
export interface JsonlEncodeOptions {
  /** Field(s) holding the text; several are joined with a newline (e.g. `['title', 'body']`). @defaultValue `'text'` */
  readonly textField?: string | readonly string[];
  /** Custom text extraction (overrides `textField`). */
  readonly textOf?: (record: Record<string, unknown>, line: number) => string;
  /** Records per `encoder.encode` call. @defaultValue 64 */
  readonly batchSize?: number;
  /** Called after every batch with records done and bytes consumed. */
  readonly onProgress?: ProgressCallback;
  /** Total input size, for the progress fraction (e.g. the file size). */
  readonly totalBytes?: number;
  /** Input name for errors. @defaultValue `'input'` */
  readonly source?: string;
  /** Stops between batches. */
  readonly signal?: AbortSignal;
}

/** One encoded JSONL record. */
export interface EncodedRecord {
  readonly line: number;
  readonly record: Record<string, unknown>;
  /** The record's vector (`encoder.dim` floats). */
  readonly vector: Float32Array;
}

/**
 * Streams a JSONL catalog through an encoder in batches: memory stays bounded by the batch size
 * whatever the input size. Rejections name the JSONL line.
 * @param encoder - any content encoder
 * @param input - JSONL bytes
 * @param options - text field(s), batch size, progress
 * @returns the encoded records, in input order
 * @throws {@link EncoderInputError} with `location: 'line'` (bad UTF-8, bad JSON, missing field, rejected text)
 */
export async function* encodeJsonlStream(
  encoder: ContentEncoder,
  input: ByteSource,
  options: JsonlEncodeOptions = {},
): AsyncGenerator<EncodedRecord> {
  const batchSize = batchSizeOption(options.batchSize);
  const source = options.source ?? 'input';
  const textOf = options.textOf ?? fieldsText(options.textField ?? 'text', source);
  const started = performance.now();
  let done = 0;
  let batch: { line: number; record: Record<string, unknown>; text: string }[] = [];
  let bytes = 0;

  async function* flush(): AsyncGenerator<EncodedRecord> {
    options.signal?.throwIfAborted();
    let vectors: Float32Array;
    try {
      vectors = await encoder.encode(batch.map((b) => b.text));
    } catch (error) {
      if (error instanceof EncoderInputError && error.location === 'index') {
        const line = batch[error.position]?.line ?? 0;
        throw new EncoderInputError(error.problem, 'line', line, `${source}: ${error.detail}`, {
          cause: error,
        });
      }
      throw error;
    }
    done += batch.length;
    const items = batch;
    batch = [];
    options.onProgress?.({
      done,
      bytes,
      ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
      elapsedMs: performance.now() - started,
    });
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as (typeof items)[number];
      yield {
        line: item.line,
        record: item.record,
        vector: vectors.slice(i * encoder.dim, (i + 1) * encoder.dim),
      };
    }
  }

  for await (const { line, record, bytes: consumed } of readJsonl(input, source)) {
    batch.push({ line, record, text: textOf(record, line) });
    bytes = consumed;
    if (batch.length >= batchSize) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}

function fieldsText(field: string | readonly string[], source: string) {
  const fields = typeof field === 'string' ? [field] : field;
  if (fields.length === 0) throw new RangeError('textField must name at least one field, got []');
  return (record: Record<string, unknown>, line: number): string => {
    const parts: string[] = [];
    for (const f of fields) {
      const value = record[f];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') {
        throw new EncoderInputError(
          'missing-field',
          'line',
          line,
          `${source}: field "${f}" is ${typeof value}, expected a string`,
        );
      }
      parts.push(value);
    }
    if (parts.length === 0) {
      throw new EncoderInputError(
        'missing-field',
        'line',
        line,
        `${source}: record has no ${fields.map((f) => `"${f}"`).join(' or ')} field to encode`,
      );
    }
    return parts.join('\n');
  };
}

async function* iterate(input: ByteSource): AsyncGenerator<Uint8Array> {
  if ('getReader' in input) {
    const reader = input.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* input;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
