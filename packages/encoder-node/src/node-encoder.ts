import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import {
  loadOnnxEncoder,
  parseEncoderSpec,
  parseJsonFile,
  type DetailedContentEncoder,
  type ResolvedEncoderSpec,
} from '@privads/encoder';
import * as ort from 'onnxruntime-node';
import { readEncoderFile } from './files.js';

/**
 * Path of the spec of the project's generated default encoder, shipped in `@privads/encoder` (the
 * browser runner serves the same files, so both sides encode with one model).
 */
export const defaultSpecPath: string = createRequire(import.meta.url).resolve(
  '@privads/encoder/models/default/encoder.json',
);

/** Options of {@link createNodeEncoder}. */
export interface NodeEncoderOptions {
  /** Path of an `encoder.json`; model and tokenizer paths in it are relative to it. @defaultValue {@link defaultSpecPath} */
  readonly specPath?: string;
  /** onnxruntime intra-op threads. @defaultValue onnxruntime's choice (one per physical core) */
  readonly intraOpNumThreads?: number;
  /** Texts per model call inside one `encode`. @defaultValue 32 */
  readonly maxBatch?: number;
}

/**
 * Reads and validates a spec file.
 * @param specPath - path of `encoder.json`
 * @returns the resolved spec
 * @throws {@link EncoderFileError} `ENCODER_MODEL_MISSING` / `ENCODER_MODEL_INVALID` naming the file
 */
export async function readEncoderSpec(specPath: string): Promise<ResolvedEncoderSpec> {
  const file = await readEncoderFile(specPath, 'spec');
  return parseEncoderSpec(parseJsonFile(file, 'an encoder spec file (encoder.json)'), specPath);
}

/**
 * Creates a content encoder run by onnxruntime-node (CPU execution provider) — for catalog
 * building on the operator's side. Same tokenizer, pooling and normalisation code as the browser
 * runner, so both produce the same vectors (within 1e-5) for the same spec.
 * @param options - spec path, threads, batch size
 * @returns the encoder (call `dispose()` when done)
 * @throws {@link EncoderFileError} when a file is missing, corrupt or does not match the spec
 */
export async function createNodeEncoder(
  options: NodeEncoderOptions = {},
): Promise<DetailedContentEncoder> {
  const specPath = resolve(options.specPath ?? defaultSpecPath);
  const spec = await readEncoderSpec(specPath);
  const base = dirname(specPath);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    // Explicit: with onnxruntime-web also loaded in the process, an empty list could pick its backend.
    executionProviders: ['cpu'],
    ...(options.intraOpNumThreads === undefined
      ? {}
      : { intraOpNumThreads: options.intraOpNumThreads }),
  };
  return loadOnnxEncoder(
    spec,
    (role, file) => readEncoderFile(resolve(base, file), role),
    {
      runtime: 'onnxruntime-node',
      createSession: (bytes) => ort.InferenceSession.create(bytes, sessionOptions),
      Tensor: ort.Tensor,
    },
    options.maxBatch,
  );
}
