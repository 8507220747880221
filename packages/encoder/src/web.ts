import { BackendError } from '@privads/protocol';
import * as ort from 'onnxruntime-web/wasm';
import type { DetailedContentEncoder } from './core/content-encoder.js';
import { defaultEncoderSpec } from './core/default-spec.js';
import { fetchEncoderFile } from './core/fetch-file.js';
import { messageOf } from './core/errors.js';
import { loadOnnxEncoder, parseJsonFile, type LoadedFile } from './core/load.js';
import { parseEncoderSpec, type EncoderSpec } from './core/spec.js';

/** Where onnxruntime-web loads its WebAssembly from (see docs/encoder.md, "Serving the wasm files"). */
export type WasmPaths = string | { readonly wasm?: string | URL; readonly mjs?: string | URL };

/** Options of {@link createWebEncoder}. Relative URLs resolve against `location` (in a worker: the worker script's URL), so prefer absolute or root-relative ones. */
export interface WebEncoderOptions {
  /**
   * Where onnxruntime-web's WebAssembly is served from, on the publisher's own origin (nothing is
   * loaded from a CDN). `{ wasm: url }`: only `ort-wasm-simd-threaded.wasm` is fetched (its
   * JavaScript glue is bundled). A prefix ending in `/`: both `ort-wasm-simd-threaded.wasm` and
   * `ort-wasm-simd-threaded.mjs` are loaded from it. onnxruntime-web reads this once, when its
   * first session in the worker is created.
   */
  readonly wasmPaths: WasmPaths;
  /** URL of an `encoder.json`; its model and tokenizer paths resolve against it. */
  readonly specUrl?: string | URL;
  /** The spec itself, when there is no `specUrl`. @defaultValue {@link defaultEncoderSpec} */
  readonly spec?: EncoderSpec;
  /** URL of the ONNX model; overrides the spec's `model.file`. Required (or `modelBytes`) without `specUrl`. */
  readonly modelUrl?: string | URL;
  /** The model's bytes (nothing is fetched for the model). */
  readonly modelBytes?: ArrayBuffer | Uint8Array;
  /** URL of `tokenizer.json` (wordpiece specs); overrides the spec's `tokenizer.file`. */
  readonly tokenizerUrl?: string | URL;
  /** Parsed `tokenizer.json` (wordpiece specs; nothing is fetched for it). */
  readonly tokenizerJson?: unknown;
  /** `fetch` implementation. @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof fetch;
  /** WebAssembly threads; >1 only helps on cross-origin-isolated pages. @defaultValue 1 */
  readonly numThreads?: number;
  /** Texts per model call inside one `encode`. @defaultValue 32 */
  readonly maxBatch?: number;
}

/**
 * Creates a content encoder run by onnxruntime-web's WebAssembly backend — meant to run inside the
 * PrivAds client's module worker, for the page being read. Same tokenizer, pooling and
 * normalisation code as {@link createNodeEncoder}, so both produce the same vectors (within 1e-5).
 * @param options - wasm location, spec, model and tokenizer sources
 * @returns the encoder (call `dispose()` when done)
 * @throws TypeError when neither `specUrl` nor a model source is given, or `wasmPaths` is missing
 * @throws {@link EncoderFileError} when a file is missing, corrupt or does not match the spec
 * @throws `BackendError` `BACKEND_UNAVAILABLE` when onnxruntime-web cannot load its WebAssembly
 *   from `wasmPaths` (onnxruntime-web remembers that failure for the life of the worker)
 */
export async function createWebEncoder(
  options: WebEncoderOptions,
): Promise<DetailedContentEncoder> {
  const wasmPaths = checkWasmPaths(options.wasmPaths);
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = typeof location === 'undefined' ? undefined : location.href;
  const specUrl = options.specUrl === undefined ? undefined : new URL(options.specUrl, base).href;
  if (specUrl === undefined && options.modelUrl === undefined && options.modelBytes === undefined) {
    throw new TypeError('createWebEncoder needs specUrl, modelUrl or modelBytes');
  }
  const spec =
    specUrl === undefined
      ? parseEncoderSpec(options.spec ?? defaultEncoderSpec, 'spec option')
      : parseEncoderSpec(
          parseJsonFile(
            await fetchEncoderFile(specUrl, 'an encoder spec file (encoder.json)', fetchImpl),
            'an encoder spec file (encoder.json)',
          ),
          specUrl,
        );

  const fetchRelative = (file: string, expected: string): Promise<LoadedFile> => {
    if (specUrl === undefined) {
      throw new TypeError(
        `${expected} "${file}" needs specUrl or an explicit URL/bytes option to be found`,
      );
    }
    return fetchEncoderFile(new URL(file, specUrl).href, expected, fetchImpl);
  };
  const read = async (
    role: 'model' | 'tokenizer' | 'tokenizer-config',
    file: string,
  ): Promise<LoadedFile> => {
    if (role === 'model') {
      if (options.modelBytes !== undefined)
        return { bytes: toBytes(options.modelBytes), source: 'modelBytes option' };
      if (options.modelUrl !== undefined)
        return fetchEncoderFile(
          new URL(options.modelUrl, base).href,
          'an ONNX model file',
          fetchImpl,
        );
      return fetchRelative(file, 'an ONNX model file');
    }
    if (role === 'tokenizer') {
      if (options.tokenizerJson !== undefined) {
        return {
          bytes: new TextEncoder().encode(JSON.stringify(options.tokenizerJson)),
          source: 'tokenizerJson option',
        };
      }
      if (options.tokenizerUrl !== undefined) {
        return fetchEncoderFile(
          new URL(options.tokenizerUrl, base).href,
          'a Hugging Face tokenizer.json',
          fetchImpl,
        );
      }
      return fetchRelative(file, 'a Hugging Face tokenizer.json');
    }
    return fetchRelative(file, 'a tokenizer_config.json');
  };

  ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = options.numThreads ?? 1;
  return loadOnnxEncoder(
    spec,
    read,
    {
      runtime: 'onnxruntime-web',
      createSession: async (bytes) => {
        try {
          return await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
        } catch (cause) {
          // onnxruntime-common's wording when no execution provider could initialise: the wasm
          // files were not found or not valid, which is a deployment problem, not a model problem.
          if (!messageOf(cause).includes('no available backend found')) throw cause;
          throw new BackendError(
            'BACKEND_UNAVAILABLE',
            `onnxruntime-web could not start its WebAssembly backend with wasmPaths ${JSON.stringify(wasmPaths)} (${messageOf(cause)}); serve ort-wasm-simd-threaded.wasm there (and ort-wasm-simd-threaded.mjs when wasmPaths is a prefix)`,
            { cause },
          );
        }
      },
      Tensor: ort.Tensor,
    },
    options.maxBatch,
  );
}

function checkWasmPaths(value: WasmPaths | undefined): string | { wasm?: string; mjs?: string } {
  if (typeof value === 'string' && value !== '') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    (value.wasm !== undefined || value.mjs !== undefined)
  ) {
    return {
      ...(value.wasm === undefined ? {} : { wasm: String(value.wasm) }),
      ...(value.mjs === undefined ? {} : { mjs: String(value.mjs) }),
    };
  }
  throw new TypeError(
    `wasmPaths must be a URL prefix or { wasm, mjs } on the publisher's origin, got ${JSON.stringify(value)}`,
  );
}

function toBytes(value: ArrayBuffer | Uint8Array): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(value);
}
