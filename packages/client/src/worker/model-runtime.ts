import type * as ModelNamespace from '@privads/model';
import type { Projector } from '@privads/model';
import type { ClientStore } from '../store/store.js';
import { apiUrl, getBytes, type FetchLike } from './http.js';

/** The learning module, loaded on first use: it brings tfjs, which rank() alone never needs. */
export type ModelModule = typeof ModelNamespace;

let modelModule: Promise<ModelModule> | undefined;

/**
 * Loads `@privads/model` once per realm (a separate chunk in bundled builds).
 * @returns the module
 */
export function loadModel(): Promise<ModelModule> {
  modelModule ??= import('@privads/model');
  return modelModule;
}

/** The WebAssembly binaries of tfjs' wasm backend (it fetches the one the browser supports). */
export const TFJS_WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Options of {@link ProjectorRuntime}. */
export interface ProjectorRuntimeOptions {
  readonly server: string;
  readonly store: ClientStore;
  readonly fetch: FetchLike;
  /** Where the tfjs WASM backend finds its binaries. */
  readonly wasmPaths?: string;
  /** Told which tfjs backend was chosen and why the others were not. */
  readonly onBackend?: (report: string) => void;
  /**
   * Told when tfjs' WebAssembly backend could not start.
   * @param files - the WebAssembly files it loads from `wasmPaths`
   */
  readonly onWasmFailed?: (files: readonly string[]) => void;
}

/**
 * Projector weights by version (cached in IndexedDB like catalogs) and the tfjs backend they run
 * on. One projector is kept in memory at a time.
 */
export class ProjectorRuntime {
  readonly #o: ProjectorRuntimeOptions;
  #backend: Promise<void> | undefined;
  #current: { version: number; projector: Promise<Projector | undefined> } | undefined;

  /** @param options - server, store, transport, WASM location */
  constructor(options: ProjectorRuntimeOptions) {
    this.#o = options;
  }

  /**
   * The projector of one version.
   * @param version - projector version
   * @returns the projector, or `undefined` when the server does not have it
   * @throws PrivAdsError `NETWORK` when it must be downloaded and cannot be; ProtocolError for a bad file
   */
  async get(version: number): Promise<Projector | undefined> {
    if (this.#current?.version !== version) {
      const previous = this.#current?.projector;
      this.#current = { version, projector: this.#load(version) };
      void previous?.then(
        (p) => p?.dispose(),
        () => undefined,
      );
    }
    const pending = this.#current.projector;
    try {
      return await pending;
    } catch (error) {
      if (this.#current?.projector === pending) this.#current = undefined;
      throw error;
    }
  }

  /** Frees the projector's tensors. */
  dispose(): void {
    void this.#current?.projector.then(
      (p) => p?.dispose(),
      () => undefined,
    );
    this.#current = undefined;
  }

  async #load(version: number): Promise<Projector | undefined> {
    const { store, server, fetch } = this.#o;
    const key = String(version);
    let bytes: Uint8Array | undefined = await store
      .getBlob('projector', key)
      .then((b) => b && new Uint8Array(b));
    if (bytes === undefined) {
      bytes = await getBytes(fetch, apiUrl(server, `/v1/projector/${version}`));
      if (bytes === undefined) return undefined;
      await store.putBlob('projector', key, bytes.slice().buffer);
    }
    const model = await loadModel();
    await this.#ensureBackend(model);
    return model.projectorFromSafetensors(bytes);
  }

  #ensureBackend(model: ModelModule): Promise<void> {
    this.#backend ??= model
      .selectGradientBackend({
        ...(this.#o.wasmPaths === undefined ? {} : { wasmPaths: this.#o.wasmPaths }),
        measure: true,
      })
      .then((report) => {
        const wasm = report.attempts.find((a) => a.name === 'wasm');
        const base = this.#o.wasmPaths;
        if (wasm?.status === 'failed' && base !== undefined) {
          this.#o.onWasmFailed?.(TFJS_WASM_FILES.map((file) => new URL(file, base).href));
        }
        const others = report.attempts
          .map((a) => `${a.name}: ${a.status} (${a.reason})`)
          .join('; ');
        this.#o.onBackend?.(`tfjs backend ${report.backend} by ${report.selectedBy}; ${others}`);
      });
    return this.#backend;
  }
}
