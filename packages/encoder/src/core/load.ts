import { isPrivAdsError } from '@privads/protocol';
import type { InferenceSession, TensorConstructor } from 'onnxruntime-common';
import type { DetailedContentEncoder } from './content-encoder.js';
import { EncoderFileError, messageOf } from './errors.js';
import { createOnnxContentEncoder } from './onnx-encoder.js';
import type { ResolvedEncoderSpec } from './spec.js';
import { createHashedNgramsTokenizer, type TextTokenizer } from './tokenizer.js';
import { createWordpieceTokenizer } from './wordpiece.js';

/** The bytes of one encoder file and where they came from. */
export interface LoadedFile {
  readonly bytes: Uint8Array;
  /** Path or URL, named in errors. */
  readonly source: string;
}

/**
 * Reads the files a spec names (model, tokenizer): from disk in Node, over `fetch` in browsers.
 * Implementations throw {@link EncoderFileError} `ENCODER_MODEL_MISSING` naming the file.
 */
export type EncoderFileReader = (
  role: 'model' | 'tokenizer' | 'tokenizer-config',
  file: string,
) => Promise<LoadedFile>;

/** Runtime-specific parts a runner hands to {@link loadOnnxEncoder}. */
export interface OnnxRuntimeParts {
  /** Runtime name for messages. */
  readonly runtime: string;
  /**
   * Creates a session from model bytes. A PrivAds error (e.g. a `BackendError` when the runtime
   * itself cannot start) passes through; anything else is reported as an invalid model file.
   */
  readonly createSession: (bytes: Uint8Array) => Promise<InferenceSession>;
  /** The runtime's `Tensor` constructor. */
  readonly Tensor: TensorConstructor;
}

/**
 * Parses a JSON file strictly (UTF-8, then JSON).
 * @param file - the file
 * @param expected - what it should be, for the error
 * @returns the parsed value
 * @throws {@link EncoderFileError} `ENCODER_MODEL_INVALID` naming the file
 */
export function parseJsonFile(file: LoadedFile, expected: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
  } catch (cause) {
    throw new EncoderFileError(
      'ENCODER_MODEL_INVALID',
      file.source,
      `is not valid UTF-8 JSON (${messageOf(cause)})`,
      expected,
      { cause },
    );
  }
}

/**
 * Loads an encoder: reads the model (and tokenizer files), creates the session, checks the model
 * against the spec and returns the shared encoder. Used by both runners, so their behaviour on good
 * and bad files is the same.
 * @param spec - the resolved spec
 * @param read - reads the files the spec names
 * @param runtime - session factory and `Tensor`
 * @param maxBatch - texts per model call
 * @returns the encoder
 * @throws {@link EncoderFileError} `ENCODER_MODEL_MISSING` / `ENCODER_MODEL_INVALID` naming the file
 */
export async function loadOnnxEncoder(
  spec: ResolvedEncoderSpec,
  read: EncoderFileReader,
  runtime: OnnxRuntimeParts,
  maxBatch?: number,
): Promise<DetailedContentEncoder> {
  const tokenizer = await loadTokenizer(spec, read);
  const model = await read('model', spec.modelFile);
  const expectedModel = `an ONNX model (ModelProto) runnable by ${runtime.runtime}`;
  if (model.bytes.length === 0)
    throw new EncoderFileError('ENCODER_MODEL_INVALID', model.source, 'is empty', expectedModel);
  let session: InferenceSession;
  try {
    session = await runtime.createSession(model.bytes);
  } catch (cause) {
    if (isPrivAdsError(cause)) throw cause;
    throw new EncoderFileError(
      'ENCODER_MODEL_INVALID',
      model.source,
      `could not be loaded by ${runtime.runtime} (${messageOf(cause)})`,
      expectedModel,
      { cause },
    );
  }
  try {
    return createOnnxContentEncoder({
      spec,
      tokenizer,
      session,
      Tensor: runtime.Tensor,
      modelSource: model.source,
      runtime: runtime.runtime,
      ...(maxBatch === undefined ? {} : { maxBatch }),
    });
  } catch (error) {
    await session.release();
    throw error;
  }
}

async function loadTokenizer(
  spec: ResolvedEncoderSpec,
  read: EncoderFileReader,
): Promise<TextTokenizer> {
  const t = spec.tokenizer;
  if (t.kind === 'hashed-ngrams') return createHashedNgramsTokenizer(t);
  const file = await read('tokenizer', t.file);
  const tokenizer = parseJsonFile(file, 'a Hugging Face tokenizer.json');
  const config =
    t.configFile === undefined
      ? undefined
      : parseJsonFile(
          await read('tokenizer-config', t.configFile),
          'a tokenizer_config.json object',
        );
  return createWordpieceTokenizer(t, {
    tokenizer,
    tokenizerSource: file.source,
    ...(config === undefined ? {} : { config }),
  });
}
