import type { DetailedContentEncoder } from '@privads/encoder';
import type { WorkerConfig } from '../protocol.js';

/** Where the worker loads the content encoder from (absolute URLs). */
export interface ContextEncoderSettings {
  readonly specUrl: string;
  readonly modelUrl?: string;
  /** `ort-wasm-simd-threaded.wasm`, or a directory ending in `/`. */
  readonly ortWasm: string;
}

/** Default encoder folder, relative to the asset base URL. */
export const DEFAULT_ENCODER_SPEC = 'encoder/encoder.json';
/** onnxruntime-web's WebAssembly binary (the only file of it a bundled build fetches). */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/**
 * The asset base URL: the publisher's `assets.baseUrl`, else the directory of the worker script.
 * @param config - resolved options
 * @returns an absolute directory URL, or `undefined` when there is neither
 */
export function assetBase(config: WorkerConfig): string | undefined {
  if (config.assets.baseUrl !== undefined) return config.assets.baseUrl;
  const here = (globalThis as { location?: { href: string } }).location?.href;
  return here === undefined ? undefined : new URL('./', here).href;
}

/**
 * Fills in the encoder defaults.
 * @param config - resolved options
 * @returns where to load the encoder from, or `undefined` when text encoding is off
 */
export function contextEncoderSettings(config: WorkerConfig): ContextEncoderSettings | undefined {
  if (config.encoder === false) return undefined;
  const base = assetBase(config);
  const specUrl =
    config.encoder.specUrl ??
    (base === undefined ? undefined : new URL(DEFAULT_ENCODER_SPEC, base).href);
  const ortWasm =
    config.assets.ortWasmPath ??
    (base === undefined ? undefined : new URL(ORT_WASM_FILE, base).href);
  if (specUrl === undefined || ortWasm === undefined) return undefined;
  return {
    specUrl,
    ortWasm,
    ...(config.encoder.modelUrl === undefined ? {} : { modelUrl: config.encoder.modelUrl }),
  };
}

/**
 * The files an encoder load fetches, for finding the missing one after a failure.
 * @param settings - where the encoder is loaded from
 * @param error - what the load threw (an encoder file error names the file it could not read)
 * @returns absolute URLs, without duplicates
 */
function encoderFiles(settings: ContextEncoderSettings, error: unknown): string[] {
  const { specUrl, modelUrl, ortWasm } = settings;
  const wasm = ortWasm.endsWith('/')
    ? [
        new URL(ORT_WASM_FILE, ortWasm).href,
        new URL(ORT_WASM_FILE.replace(/wasm$/, 'mjs'), ortWasm).href,
      ]
    : [ortWasm];
  const named = (error as { file?: unknown })?.file;
  const file = typeof named === 'string' && URL.canParse(named) ? [named] : [];
  return [...new Set([specUrl, ...(modelUrl === undefined ? [] : [modelUrl]), ...file, ...wasm])];
}

const encoders = new Map<string, Promise<DetailedContentEncoder>>();

/**
 * Loads the content encoder once per realm and settings: `@privads/encoder/web` and
 * onnxruntime-web are imported only now (a separate chunk: pages that never pass text never
 * download them).
 * @param settings - spec, model and wasm URLs
 * @returns the encoder
 * @throws what `createWebEncoder` throws (missing files, wasm that cannot start)
 */
export function loadContextEncoder(
  settings: ContextEncoderSettings,
): Promise<DetailedContentEncoder> {
  const key = JSON.stringify(settings);
  let encoder = encoders.get(key);
  if (encoder === undefined) {
    const { specUrl, modelUrl, ortWasm } = settings;
    encoder = import('@privads/encoder/web').then(({ createWebEncoder }) =>
      createWebEncoder({
        wasmPaths: ortWasm.endsWith('/') ? ortWasm : { wasm: ortWasm },
        specUrl,
        ...(modelUrl === undefined ? {} : { modelUrl }),
      }),
    );
    encoders.set(key, encoder);
  }
  return encoder;
}

/** What {@link ContextEncoder} reports to the runtime. */
export interface ContextEncoderHost {
  /** A degraded mode was entered (called once per cause). */
  fallback(reason: string): void;
  /**
   * The encoder could not be loaded (called once, before `fallback`).
   * @param files - the files it loads (spec, model, onnxruntime-web's WebAssembly)
   */
  loadFailed(files: readonly string[]): void;
  /** A text could not be encoded (bad input). */
  error(error: unknown): void;
  /** Debug measurements. */
  log(message: string): void;
}

/**
 * Turns page text into a content vector of the catalog's space. Never throws: when the encoder is
 * off, cannot load, or belongs to another vector space than the catalog, texts are ignored and
 * the host is told once.
 */
export class ContextEncoder {
  readonly #settings: ContextEncoderSettings | undefined;
  readonly #host: ContextEncoderHost;
  readonly #load: typeof loadContextEncoder;
  #unusable = false;
  #loaded = false;

  /**
   * @param settings - where to load it from; `undefined`: text encoding is off
   * @param host - event sink
   * @param load - loader (tests inject one) @defaultValue {@link loadContextEncoder}
   */
  constructor(
    settings: ContextEncoderSettings | undefined,
    host: ContextEncoderHost,
    load: typeof loadContextEncoder = loadContextEncoder,
  ) {
    this.#settings = settings;
    this.#host = host;
    this.#load = load;
  }

  /**
   * @param text - the page's text
   * @param space - the catalog's encoder id and content dimension
   * @returns the L2-normalised content vector, or `undefined` when it cannot be computed
   */
  async encode(
    text: string,
    space: { readonly encoderId: string; readonly contentDim: number },
  ): Promise<Float32Array | undefined> {
    if (this.#unusable) return undefined;
    if (this.#settings === undefined) {
      return this.#disable(
        'text contexts are ignored: the content encoder is off (encoder: false)',
      );
    }
    let encoder: DetailedContentEncoder;
    try {
      const started = performance.now();
      encoder = await this.#load(this.#settings);
      if (!this.#loaded) {
        this.#loaded = true;
        const ms = (performance.now() - started).toFixed(1);
        this.#host.log(`content encoder ${encoder.id} ready after ${ms} ms`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#host.loadFailed(encoderFiles(this.#settings, error));
      return this.#disable(
        `the content encoder could not be loaded from ${this.#settings.specUrl} (${message}); text contexts are ignored`,
      );
    }
    if (encoder.id !== space.encoderId || encoder.dim !== space.contentDim) {
      return this.#disable(
        `the content encoder ${encoder.id} (${encoder.dim}-d) is not the catalog's ${space.encoderId} (${space.contentDim}-d); text contexts are ignored`,
      );
    }
    try {
      const started = performance.now();
      const vector = await encoder.encode([text]);
      this.#host.log(
        `encoded ${text.length} characters in ${(performance.now() - started).toFixed(1)} ms`,
      );
      return vector;
    } catch (error) {
      this.#host.error(error);
      return undefined;
    }
  }

  /** Releases the encoder's session. */
  dispose(): void {
    if (this.#settings === undefined) return;
    const key = JSON.stringify(this.#settings);
    const encoder = encoders.get(key);
    encoders.delete(key);
    void encoder?.then(
      (e) => e.dispose(),
      () => undefined,
    );
  }

  #disable(reason: string): undefined {
    this.#unusable = true;
    this.#host.fallback(reason);
    return undefined;
  }
}
