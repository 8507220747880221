import {
  decodeCatalogBundle,
  quantizeRowsInt8,
  type AdMetadata,
  type DecodedCatalogBundle,
} from '@privads/protocol';
import { popularityBias } from '@privads/model/popularity';
import type { QuantizedMatrix } from '../engines/engine.js';
import { catalogAdsChecksum } from './ad-counts.js';
import { unitRowMatrix } from '../engines/unit-rows.js';
import type { ClientStore } from '../store/store.js';
import { apiUrl, getBytes, type FetchLike } from './http.js';
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
  /** Content vectors `count × contentDim` (what the round gradient needs). */
  readonly content: Float32Array;
  /** Normalised mean of the projected vectors: the cold-start query. */
  readonly prior: Float32Array;
  /**
   * Per-ad additive score bias (≤ 0) of the popularity prior, `w · prior(ad)` shifted, from the
   * released counts the bundle carries; undefined when it carries none or w is 0.
   */
  readonly bias: Float32Array | undefined;
  readonly #indexById: Map<string, number>;
  #adsChecksum: string | undefined;

  /** @param bundle - a decoded, validated bundle */
  constructor(bundle: DecodedCatalogBundle) {
    const { header } = bundle;
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
    const d = this.contentDim;
    const out = new Float32Array(indices.length * d);
    indices.forEach((index, k) =>
      out.set(this.content.subarray(index * d, (index + 1) * d), k * d),
    );
    return out;
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
   * Ranking score of one ad for a query (for exploration picks): the cosine as the engines compute
   * it, plus the popularity bias when the catalog carries one.
   * @param index - catalog row
   * @param query - user-space vector
   * @returns the dot product with the dequantised row, plus `bias[index]`
   */
  scoreOf(index: number, query: Float32Array): number {
    const { dim, data, scales } = this.matrix;
    let acc = 0;
    for (let j = 0; j < dim; j++) acc += (data[index * dim + j] as number) * (query[j] as number);
    return acc * (scales[index] as number) + (this.bias?.[index] ?? 0);
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
    try {
      return new LoadedCatalog(decodeCatalogBundle(new Uint8Array(bytes)));
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
    const bytes = await getBytes(fetch, apiUrl(server, '/v1/catalog/latest'), 'no-cache');
    await store.setSetting('catalogCheckedAt', now());
    if (bytes === undefined) return undefined;
    const catalog = new LoadedCatalog(decodeCatalogBundle(bytes));
    if (catalog.version === current) return undefined;
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    await store.putBlob(
      'catalog',
      String(catalog.version),
      copy ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer,
    );
    await store.setSetting('catalogVersion', catalog.version);
    return catalog;
  }
}
