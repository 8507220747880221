import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isPrivAdsError } from '@privads/protocol';
import {
  createProgressBar,
  encodeJsonlStream,
  withEncodingCache,
  type ByteSource,
  type EncodeProgress,
} from '@privads/encoder';
import { openFileEncodingCache } from './file-cache.js';
import { createNodeEncoder } from './node-encoder.js';

/** Usage text of `privads-encode`. */
export const ENCODE_CLI_USAGE = `Usage: privads-encode --input <ads.jsonl|-> [options]

Encodes the text of every JSONL record with the content encoder and writes each record back
with its vector added (one JSON object per line).

Options:
  -i, --input <path>         JSONL input, '-' for stdin (required)
  -o, --output <path>        JSONL output, '-' for stdout (default: -)
  -s, --spec <path>          encoder.json (default: the bundled default encoder)
  -f, --text-field <names>   comma-separated field(s) to encode, joined by newlines (default: text)
      --vector-field <name>  field receiving the vector (default: z)
  -b, --batch-size <n>       records per model call (default: 64)
  -c, --cache <path>         persistent vector cache file (created if absent)
      --threads <n>          onnxruntime intra-op threads
      --no-progress          no progress bar on stderr
  -h, --help                 this text`;

/** The process streams the CLI uses (injected for tests). */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

class UsageError extends Error {}

/**
 * Runs `privads-encode`: JSONL in, JSONL with vectors out, progress bar and summary on stderr.
 * Never throws: failures are printed (with the PrivAds error code) and turned into an exit code.
 * @param argv - arguments without `node` and the script
 * @param io - standard streams
 * @returns exit code: 0 success, 1 failure, 2 usage error
 */
export async function runEncodeCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      (error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    if (usage) {
      io.stderr.write(`privads-encode: ${(error as Error).message}\n\n${ENCODE_CLI_USAGE}\n`);
      return 2;
    }
    const code = isPrivAdsError(error) ? ` [${error.code}]` : '';
    io.stderr.write(
      `privads-encode:${code} ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o', default: '-' },
      spec: { type: 'string', short: 's' },
      'text-field': { type: 'string', short: 'f', default: 'text' },
      'vector-field': { type: 'string', default: 'z' },
      'batch-size': { type: 'string', short: 'b', default: '64' },
      cache: { type: 'string', short: 'c' },
      threads: { type: 'string' },
      'no-progress': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(`${ENCODE_CLI_USAGE}\n`);
    return 0;
  }
  if (values.input === undefined) throw new UsageError('--input is required');
  const batchSize = positiveInt(values['batch-size'], '--batch-size');
  const threads =
    values.threads === undefined ? undefined : positiveInt(values.threads, '--threads');
  const fields = values['text-field']
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (fields.length === 0) throw new UsageError('--text-field must name at least one field');
  const vectorField = values['vector-field'];

  const { input, totalBytes, source } = await openInput(values.input, io.stdin);
  const encoder = await createNodeEncoder({
    ...(values.spec === undefined ? {} : { specPath: values.spec }),
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  });
  const cache =
    values.cache === undefined
      ? undefined
      : await openFileEncodingCache(values.cache, { dim: encoder.dim }).catch(
          async (error: unknown) => {
            await encoder.dispose();
            throw error;
          },
        );
  const cached = cache === undefined ? undefined : withEncodingCache(encoder, cache);
  const output: Writable = values.output === '-' ? io.stdout : createWriteStream(values.output);
  const bar = values['no-progress']
    ? undefined
    : createProgressBar({
        write: (s) => io.stderr.write(s),
        interactive: io.stderr.isTTY === true,
      });
  let last: EncodeProgress = { done: 0, elapsedMs: 0 };
  try {
    const records = encodeJsonlStream(cached ?? encoder, input, {
      textField: fields,
      batchSize,
      source,
      ...(totalBytes === undefined ? {} : { totalBytes }),
      onProgress: (p) => {
        last = p;
        bar?.update(p);
      },
    });
    for await (const { record, vector } of records) {
      // 9 significant digits round-trip a float32 exactly.
      const z = Array.from(vector, (v) => Number(v.toPrecision(9)));
      await write(output, `${JSON.stringify({ ...record, [vectorField]: z })}\n`);
    }
    bar?.finish(last);
  } finally {
    await cache?.close();
    await encoder.dispose();
    if (output !== io.stdout) await new Promise<void>((resolve) => output.end(resolve));
  }
  const seconds = last.elapsedMs / 1000;
  const hits =
    cached === undefined ? '' : `; cache hits ${cached.stats.hits}, misses ${cached.stats.misses}`;
  const rate = last.elapsedMs > 0 ? Math.round((last.done * 1000) / last.elapsedMs) : 0;
  io.stderr.write(
    `privads-encode: ${last.done} records with ${encoder.id} in ${seconds.toFixed(1)} s (${rate} texts/s${hits})\n`,
  );
  return 0;
}

async function openInput(
  path: string,
  stdin: Readable,
): Promise<{ input: ByteSource; totalBytes?: number; source: string }> {
  if (path === '-') return { input: stdin, source: 'stdin' };
  const { size } = await stat(path);
  return {
    input: createReadStream(path, { highWaterMark: 1 << 20 }),
    totalBytes: size,
    source: path,
  };
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function write(stream: Writable, chunk: string): Promise<void> {
  return stream.write(chunk)
    ? Promise.resolve()
    : new Promise((resolve) => stream.once('drain', resolve));
}
