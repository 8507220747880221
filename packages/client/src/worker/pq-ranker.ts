/**
 * The ranking path of catalogs that come with a PQ index (a million ads in tens of megabytes): the
 * whole index, downloaded once per catalog version, searched by {@link PqSearcher} (fast scan of
 * 4-bit codes, then a re-rank with every stage), and the best few hundred candidates re-ranked
 * exactly with the catalog's own int8 rows (as ScaNN does), so the scores a page sees are the exact
 * engines' cosines and the approximation only decides which ads are looked at. Only bytes that
 * decode, and that describe exactly the catalog in use, are ever searched; anything else is a typed
 * error the runtime turns into one `fallback` event and the exact engine.
 */
import { decodePqIndex, ProtocolError, type PqIndex } from '@privads/protocol';
import type { TopK } from '../engines/engine.js';
import { PqSearcher } from '../engines/pq-searcher.js';
import { topKOfCandidates } from '../engines/top-k.js';

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

/** The catalog facts an index must agree with, and its exact scoring. */
export interface IndexedCatalog {
  readonly version: number;
  readonly projectorVersion: number;
  readonly count: number;
  readonly userDim: number;
  /**
   * The exact cosines of some ads (the catalog's int8 rows, as the exact engines score them), for
   * the final re-rank.
   * @param indices - catalog rows
   * @param query - user-space vector
   * @returns one cosine per index
   */
  cosinesOf(indices: Int32Array, query: Float32Array): Float32Array;
}

/**
 * Candidates of the index re-ranked exactly: at this depth the exact top 10 of a 20,000-ad
 * catalog is found (see docs/benchmarks.md), and scoring 250 int8 rows costs well under a
 * millisecond.
 */
export const PQ_EXACT_RERANK = 250;

/**
 * Candidates the fast scan keeps for the stage re-rank: at a million ads, 2000 found 0.957 of the
 * exact top 10 (p50 3.0–3.6 ms in a Chromium worker), 1000 found 0.923 (docs/benchmarks.md).
 */
export const PQ_SCAN_POOL = 2000;

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
  readonly #catalog: IndexedCatalog;

  private constructor(catalog: IndexedCatalog, searcher: PqSearcher) {
    this.version = catalog.version;
    this.#catalog = catalog;
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
    const searcher = await PqSearcher.create();
    searcher.load(index);
    return new PqRanker(catalog, searcher);
  }

  /**
   * The `k` best ads by exact cosine among the index's best candidates.
   * @param query - user-space vector
   * @param k - how many
   * @param depth - candidates of the index re-ranked exactly
   * @param scan - candidates the fast scan keeps for the stage re-rank (`PqSearchOptions.rerank`)
   * @defaultValue depth {@link PQ_EXACT_RERANK}, scan {@link PQ_SCAN_POOL}
   * @returns indices and exact cosines, best first (ties: lower index first)
   */
  async topK(
    query: Float32Array,
    k: number,
    depth = PQ_EXACT_RERANK,
    scan = PQ_SCAN_POOL,
  ): Promise<TopK> {
    const wanted = Math.max(0, Math.min(k, this.#catalog.count));
    const pool = this.#searcher.topK(query, Math.max(wanted, depth), { rerank: scan });
    return topKOfCandidates(pool.indices, this.#catalog.cosinesOf(pool.indices, query), wanted);
  }

  /** Frees the index. */
  dispose(): void {
    this.#searcher.dispose();
  }
}
