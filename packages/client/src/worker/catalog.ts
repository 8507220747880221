import {
  PrivAdsError,
  contentRows,
  decodeCatalogBundle,
  quantizeRowsInt8,
  type AdMetadata,
  type CatalogContent,
  type DecodedCatalogBundle,
} from '@privads/protocol';
import { popularityBias } from '@privads/model/popularity';
import type { QuantizedMatrix } from '../engines/engine.js';
import { catalogAdsChecksum } from './ad-counts.js';
import { unitRowMatrix } from '../engines/unit-rows.js';
import { scaledRowScores } from '../engines/cpu-engine.js';
import type { ClientStore } from '../store/store.js';
import { apiUrl, getBytes, privateGet, type FetchLike } from './http.js';
import { normalize } from './vector.js';

/** A decoded catalog, ready for scoring and learning. */
export class LoadedCatalog {
  /** Catalog version. */
  readonly version: number;
  /** Projector version that produced the projected vectors. */
  readonly projectorVersion: number;
  /** Content encoder id (page contexts must come from the same encoder). */
  readonly encoderId: string;
  /** User-space dimension Du. */
  readonly userDim: number;
  /** Content dimension Dad. */
  readonly contentDim: number;
  /** Ads, one per row. */
  readonly ads: readonly AdMetadata[];
  /** Projected vectors as the engines take them (unit rows: scores are cosines). */
  readonly matrix: QuantizedMatrix;
  /**
   * Content vectors (what the round gradient needs): exact, or kept coded when the bundle carries
   * them product-quantised (a million ads' rows would not fit in memory as floats).
   */
  readonly content: CatalogContent;
  /** Normalised mean of the projected vectors: the cold-start query. */
  readonly prior: Float32Array;
  /**
   * Per-ad additive score bias (≤ 0) of the popularity prior, `w · prior(ad)` shifted, from the
   * released counts the bundle carries; undefined when it carries none or w is 0.
   */
  readonly bias: Float32Array | undefined;
  /**
   * Absolute URL of this version's PQ index, when the server announced one with the catalog
   * (`PrivAds-PQ-Index`): the same URL for every reader, fetched whole.
   */
  readonly pqIndexUrl: string | undefined;
  readonly #indexById: Map<string, number>;
  #adsChecksum: string | undefined;

  /**
   * @param bundle - a decoded, validated bundle
   * @param pqIndexUrl - its PQ index, when announced
   */
  constructor(bundle: DecodedCatalogBundle, pqIndexUrl?: string) {
    const { header } = bundle;
    this.pqIndexUrl = pqIndexUrl;
    this.version = header.catalogVersion;
    this.projectorVersion = header.projectorVersion;
    this.encoderId = header.encoderId;
    this.userDim = header.userDim;
    this.contentDim = header.contentDim;
    this.ads = bundle.ads;
    this.content = bundle.content;
    // f16/f32 bundles are quantised here so every engine scores the same int8 rows.
    const rows =
      bundle.projected.encoding === 'int8'
        ? bundle.projected
        : quantizeRowsInt8(bundle.projected.values, header.userDim);
    this.matrix = unitRowMatrix(
      `catalog-${header.catalogVersion}`,
      header.count,
      header.userDim,
      rows.values,
      rows.scales,
    );
    this.#indexById = new Map(bundle.ads.map((ad, i) => [ad.id, i]));
    this.prior = this.#meanDirection();
    const popularity = bundle.popularity;
    this.bias =
      popularity !== undefined && popularity.weight > 0 ? popularityBias(popularity) : undefined;
  }

  /** `adListChecksum` of the ad ids (what a round's counts query names), computed once. */
  get adsChecksum(): string {
    this.#adsChecksum ??= catalogAdsChecksum(this.ads);
    return this.#adsChecksum;
  }

  /** Number of ads. */
  get count(): number {
    return this.ads.length;
  }

  /**
   * @param id - an ad id
   * @returns its row, if the ad is in this catalog
   */
  indexOf(id: string): number | undefined {
    return this.#indexById.get(id);
  }

  /**
   * Dequantised projected vector of one ad (unit length).
   * @param index - catalog row
   * @returns `userDim` floats
   */
  projectedRow(index: number): Float32Array {
    const { dim, data, scales } = this.matrix;
    const scale = scales[index] as number;
    const out = new Float32Array(dim);
    for (let j = 0; j < dim; j++) out[j] = (data[index * dim + j] as number) * scale;
    return out;
  }

  /**
   * Dequantised projected vectors of several ads, row-major.
   * @param indices - catalog rows
   * @returns `indices.length × userDim` floats
   */
  projectedRows(indices: readonly number[]): Float32Array {
    const out = new Float32Array(indices.length * this.userDim);
    indices.forEach((index, k) => out.set(this.projectedRow(index), k * this.userDim));
    return out;
  }

  /**
   * Content vectors of several ads, row-major.
   * @param indices - catalog rows
   * @returns `indices.length × contentDim` floats
   */
  contentRows(indices: readonly number[]): Float32Array {
    return contentRows(this.content, this.contentDim, indices);
  }

  /**
   * The popularity bias of several ads (what learning adds to their cosines, as the ranking does:
   * bias-aware training, so the profile and the projector learn what popularity does not explain).
   * @param indices - catalog rows
   * @returns `indices.length` biases, or undefined when the catalog carries no prior
   */
  biasRows(indices: readonly number[]): Float32Array | undefined {
    const bias = this.bias;
    return bias && Float32Array.from(indices, (index) => bias[index] as number);
  }

  /**
   * Cosines of several ads with a query, bit for bit as the exact engines compute them (the
   * dequantised int8 rows).
   * @param indices - catalog rows
   * @param query - user-space vector
   * @returns one dot product with the dequantised row per index
   */
  cosinesOf(indices: ArrayLike<number>, query: Float32Array): Float32Array {
    return scaledRowScores(this.matrix, query, indices);
  }

  /**
   * Ranking score of one ad for a query (for exploration picks): the cosine as the engines compute
   * it, plus the popularity bias when the catalog carries one.
   * @param index - catalog row
   * @param query - user-space vector
   * @returns {@link LoadedCatalog.cosinesOf} of the ad plus `bias[index]`
   */
  scoreOf(index: number, query: Float32Array): number {
    return (this.cosinesOf([index], query)[0] as number) + (this.bias?.[index] ?? 0);
  }

  #meanDirection(): Float32Array {
    const { rows, dim, data, scales } = this.matrix;
    const sum = new Float64Array(dim);
    for (let i = 0; i < rows; i++) {
      const scale = scales[i] as number;
      for (let j = 0; j < dim; j++)
        sum[j] = (sum[j] as number) + (data[i * dim + j] as number) * scale;
    }
    return normalize(sum) ?? basis(dim);
  }
}

function basis(dim: number): Float32Array {
  const e = new Float32Array(dim);
  e[0] = 1;
  return e;
}

/** Options of {@link CatalogSource}. */
export interface CatalogSourceOptions {
  readonly server: string;
  readonly store: ClientStore;
  readonly fetch: FetchLike;
  readonly now: () => number;
  /** Minimum time between two checks for a newer catalog. @defaultValue 3_600_000 */
  readonly refreshIntervalMs?: number;
}

/**
 * Where the catalog comes from: the IndexedDB cache (immutable per version) first, the server when
 * the cache is empty or a refresh is due. The whole catalog is always downloaded: fetching single
 * ads would tell the server which ads the reader engaged with.
 */
export class CatalogSource {
  readonly #o: CatalogSourceOptions;

  /** @param options - server, store, transport, clock, refresh interval */
  constructor(options: CatalogSourceOptions) {
    this.#o = options;
  }

  /**
   * The newest cached catalog, if any.
   * @returns the catalog, or `undefined` when nothing (valid) is cached
   */
  async cached(): Promise<LoadedCatalog | undefined> {
    const version = await this.#o.store.getSetting('catalogVersion');
    if (version === undefined) return undefined;
    const bytes = await this.#o.store.getBlob('catalog', String(version));
    if (bytes === undefined) return undefined;
    const announced = await this.#o.store.getSetting('catalogPqIndex');
    try {
      return new LoadedCatalog(
        decodeCatalogBundle(new Uint8Array(bytes)),
        announced?.catalogVersion === version ? announced.url : undefined,
      );
    } catch {
      // A corrupt cache entry is simply downloaded again.
      return undefined;
    }
  }

  /** Whether the refresh interval has elapsed since the last check. */
  async refreshDue(): Promise<boolean> {
    const checked = (await this.#o.store.getSetting('catalogCheckedAt')) ?? 0;
    return this.#o.now() - checked >= (this.#o.refreshIntervalMs ?? 3_600_000);
  }

  /**
   * Downloads the latest catalog (revalidating the HTTP cache) and caches it by version.
   * @param current - version already loaded; its bytes are not decoded again
   * @returns the new catalog, or `undefined` when the server has none or it is `current`
   * @throws PrivAdsError `NETWORK` and friends (see `privateGet`); ProtocolError for a bad bundle
   */
  async download(current?: number): Promise<LoadedCatalog | undefined> {
    const { server, store, fetch, now } = this.#o;
    const url = apiUrl(server, '/v1/catalog/latest');
    const response = await privateGet(fetch, url, 'no-cache');
    await store.setSetting('catalogCheckedAt', now());
    if (response === undefined) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const pqIndexUrl = announcedPqIndex(response, url);
    const catalog = new LoadedCatalog(decodeCatalogBundle(bytes), pqIndexUrl);
    if (catalog.version === current) return undefined;
    await store.putBlob('catalog', String(catalog.version), ownBuffer(bytes));
    await store.setSetting('catalogVersion', catalog.version);
    if (pqIndexUrl !== undefined)
      await store.setSetting('catalogPqIndex', {
        catalogVersion: catalog.version,
        url: pqIndexUrl,
      });
    return catalog;
  }

  /**
   * The catalog's PQ index, from the cache or downloaded whole (one GET of the announced URL, the
   * same for every reader, with the private request options). Cache it with
   * {@link CatalogSource.keepPqIndex} once it has been checked.
   * @param catalog - a catalog that announced an index
   * @param networkAllowed - whether it may be downloaded (not while the reader has paused PrivAds)
   * @returns the index bytes (not yet validated), and whether they came from the cache
   * @throws PrivAdsError `NOT_FOUND` when the server has none after all, `ABORTED` when it is not
   *   cached and may not be downloaded, and as `privateGet`
   */
  async pqIndex(
    catalog: LoadedCatalog,
    networkAllowed: boolean,
  ): Promise<{ bytes: Uint8Array; cached: boolean }> {
    const cached = await this.#o.store.getBlob('pq-index', String(catalog.version));
    if (cached !== undefined) return { bytes: new Uint8Array(cached), cached: true };
    if (!networkAllowed)
      throw new PrivAdsError('ABORTED', 'paused: the PQ index is not downloaded');
    const url = catalog.pqIndexUrl;
    const bytes = url === undefined ? undefined : await getBytes(this.#o.fetch, url);
    if (bytes === undefined) {
      throw new PrivAdsError(
        'NOT_FOUND',
        `catalog ${catalog.version} announced a PQ index that ${url ?? 'nobody'} serves`,
      );
    }
    return { bytes, cached: false };
  }

  /**
   * Caches a checked index by catalog version (the store keeps the newest few).
   * @param version - its catalog version
   * @param bytes - the index
   */
  async keepPqIndex(version: number, bytes: Uint8Array): Promise<void> {
    await this.#o.store.putBlob('pq-index', String(version), ownBuffer(bytes));
  }
}

/** The bytes' own buffer when they span it, else a copy (IndexedDB stores whole buffers). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
}

/**
 * The PQ index a catalog response announces, as an absolute http(s) URL.
 * @param response - the catalog response
 * @param requested - the URL that was requested (fake transports leave `response.url` empty)
 * @returns the index URL, or `undefined` when none is announced or the value is not usable
 */
function announcedPqIndex(response: Response, requested: string): string | undefined {
  const value = response.headers.get(PQ_INDEX_HEADER);
  if (value === null || value.trim() === '') return undefined;
  try {
    const url = new URL(value.trim(), response.url || requested);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Response header announcing a catalog's PQ index (`docs/server.md`). */
export const PQ_INDEX_HEADER = 'PrivAds-PQ-Index';
