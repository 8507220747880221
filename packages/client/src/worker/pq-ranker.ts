/**
 * The ranking path of catalogs that come with a PQ index (a million ads in tens of megabytes): the
 * whole index, downloaded once per catalog version, searched by {@link PqSearcher} (fast scan of
 * 4-bit codes, then a re-rank with every stage). Only bytes that decode, and that describe exactly
 * the catalog in use, are ever searched; anything else is a typed error the runtime turns into one
 * `fallback` event and the exact engine.
 */
import { decodePqIndex, ProtocolError, type PqIndex } from '@privads/protocol';
import type { TopK } from '../engines/engine.js';
import type { PqSearcher } from '../engines/pq-searcher.js';

/** What ranks a catalog: a scoring engine, or the PQ index. */
export interface Ranker {
  /** Name reported in `RankResult.engine` and `diagnostics()`. */
  readonly name: string;
  /**
   * The `k` best ads by cosine, best first.
   * @param query - user-space vector
   * @param k - how many
   */
  topK(query: Float32Array, k: number): Promise<TopK>;
}

/** The catalog facts an index must agree with. */
export interface IndexedCatalog {
  readonly version: number;
  readonly projectorVersion: number;
  readonly count: number;
  readonly userDim: number;
}

/** Name of the PQ ranking path. */
export const PQ_RANKER_NAME = 'pq-index';

/**
 * Decodes index bytes and checks that they belong to `catalog`.
 * @param bytes - the downloaded (or cached) index
 * @param catalog - the catalog in use
 * @returns the decoded index
 * @throws ProtocolError: the decoder's codes for malformed bytes, `BAD_HEADER` for an index of
 *   another catalog or projector version, `DIM_MISMATCH` for another ad count or dimension
 */
export function decodeIndexOf(bytes: Uint8Array, catalog: IndexedCatalog): PqIndex {
  const index = decodePqIndex(bytes);
  if (
    index.catalogVersion !== catalog.version ||
    index.projectorVersion !== catalog.projectorVersion
  ) {
    throw new ProtocolError(
      'BAD_HEADER',
      `the PQ index is of catalog ${index.catalogVersion} (projector ${index.projectorVersion}); the catalog is ${catalog.version} (projector ${catalog.projectorVersion})`,
    );
  }
  if (index.count !== catalog.count || index.dim !== catalog.userDim) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `the PQ index has ${index.count} ads of dimension ${index.dim}; the catalog has ${catalog.count} of ${catalog.userDim}`,
    );
  }
  return index;
}

/** A catalog's PQ index, loaded into a searcher. */
export class PqRanker implements Ranker {
  readonly name = PQ_RANKER_NAME;
  /** Catalog version whose index is loaded. */
  readonly version: number;
  readonly #searcher: PqSearcher;

  private constructor(version: number, searcher: PqSearcher) {
    this.version = version;
    this.#searcher = searcher;
  }

  /**
   * @param bytes - the index file
   * @param catalog - the catalog it must describe
   * @returns the ranker
   * @throws ProtocolError as {@link decodeIndexOf}; BackendError `BACKEND_UNAVAILABLE` without
   *   WebAssembly SIMD128
   */
  static async load(bytes: Uint8Array, catalog: IndexedCatalog): Promise<PqRanker> {
    const index = decodeIndexOf(bytes, catalog);
    // Loaded on demand: pages whose catalogs have no index never fetch the fast-scan kernel.
    const { PqSearcher } = await import('../engines/pq-searcher.js');
    const searcher = await PqSearcher.create();
    searcher.load(index);
    return new PqRanker(catalog.version, searcher);
  }

  async topK(query: Float32Array, k: number): Promise<TopK> {
    return this.#searcher.topK(query, k);
  }

  /** Frees the index. */
  dispose(): void {
    this.#searcher.dispose();
  }
}
