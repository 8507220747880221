/**
 * Catalog publishing: encode ads with the content encoder, project them with the newest projector,
 * and publish the bundle as the next catalog version. Used by `privads-server catalog import`, by
 * the operator endpoint `POST /v1/admin/catalog`, and by scripts (`importCatalog`).
 */
import { readFile } from 'node:fs/promises';

import type { ContentEncoder } from '@privads/encoder';
import { checkPqPartitions, checkPqStages } from '@privads/model';
import {
  decodeCatalogBundle,
  encodeCatalogBundle,
  ProtocolError,
  StorageError,
  type CatalogContent,
  type CatalogPopularity,
} from '@privads/protocol';

import {
  checkContentSettings,
  resolveConfig,
  type ConfigOverrides,
  type ServerConfig,
} from '../config.js';
import { initialState } from '../rounds/initial-state.js';
import { carryPopularity } from '../rounds/released-counts.js';
import { openStore, type StoreLocation } from '../store/open-store.js';
import type { Store, VersionInfo } from '../store/store.js';
import { bundleMetadata, encoderText, parseAdsJsonl, type CatalogAdInput } from './ads-jsonl.js';
import { chooseContentShape, codeContent, type ContentBuildOptions } from './content-codes.js';
import { buildPqIndex, type PqIndexBuildOptions } from './pq-index.js';
import { projectWithFile } from './project.js';

/**
 * The popularity totals of the newest catalog carried over to the ads that keep their id (read
 * before publishing: a round closing meanwhile re-projects the old catalog, and its counts reach
 * the new one only through later rounds).
 */
async function popularityCarriedOver(
  store: Store,
  ads: readonly CatalogAdInput[],
  config: ServerConfig,
): Promise<CatalogPopularity | undefined> {
  const latest = await store.latest('catalog');
  const previous = latest && (await store.readVersion('catalog', latest.version));
  if (previous === undefined) return undefined;
  const bundle = decodeCatalogBundle(previous.bytes);
  if (bundle.popularity === undefined) return undefined;
  return carryPopularity(
    { ids: bundle.ads.map((ad) => ad.id), popularity: bundle.popularity },
    ads.map((ad) => ad.id),
    config.catalog.popularity,
  );
}

/**
 * Encodes, projects and publishes ads in an open store, with the catalog's PQ index when asked for
 * or when the catalog has at least `config.catalog.pqIndex.minAds` ads (committed together with
 * the version: see `pq-index.ts`). Ads whose id the newest catalog has keep its released click and
 * impression totals (the popularity prior); new ads start from zero.
 * @param store - the store (initialised on the way if empty)
 * @param ads - the ads
 * @param encoder - the content encoder (its dim must be the projector's content dim)
 * @param config - server configuration (projector, catalog encoding, PQ index settings)
 * @param pqIndex - whether (`when`) and how to build the PQ index
 * @param contentOptions - how to encode the content vectors (default: the configuration's
 *   `catalog.contentEncoding`, `auto`: `pq8` codes when `f16` rows would not fit the readers'
 *   decode limit), and the coding's progress
 * @returns the new catalog version (its `pqIndex` describes the index, when built)
 * @throws RangeError when the encoder's dim does not match or the stages are invalid; ProtocolError
 *   for invalid ads, `OVERSIZE` (before anything is encoded) for a catalog whose bundle clients
 *   could not decode (over `CATALOG_DEFAULT_LIMITS`: 512 MiB, a million ads)
 */
export async function publishCatalog(
  store: Store,
  ads: readonly CatalogAdInput[],
  encoder: ContentEncoder,
  config: ServerConfig,
  pqIndex: PqIndexBuildOptions = {},
  contentOptions: ContentBuildOptions = {},
): Promise<VersionInfo> {
  if (ads.length === 0) throw new ProtocolError('OUT_OF_RANGE', 'the catalog has no ads');
  if (encoder.dim !== config.projector.contentDim) {
    throw new RangeError(
      `encoder ${encoder.id} has dim ${encoder.dim}; the projector expects ${config.projector.contentDim}`,
    );
  }
  const {
    when = 'auto',
    stages = config.catalog.pqIndex.stages,
    partitions = config.catalog.pqIndex.partitions,
    onProgress,
  } = pqIndex;
  const withIndex =
    when === 'always' || (when === 'auto' && ads.length >= config.catalog.pqIndex.minAds);
  if (withIndex) {
    checkPqStages(stages, config.projector.userDim);
    checkPqPartitions(partitions);
  }
  const metadata = ads.map(bundleMetadata);
  // Before minutes of encoding: a bundle no client can decode is refused now, with how many ads fit
  // (with the popularity section, which a round's re-projection adds).
  const { contentDim } = config.projector;
  const contentSettings = {
    contentEncoding: contentOptions.contentEncoding ?? config.catalog.contentEncoding,
    contentSubspaces: contentOptions.contentSubspaces ?? config.catalog.contentSubspaces,
  };
  checkContentSettings(contentSettings, contentDim);
  const contentShape = chooseContentShape(
    {
      count: ads.length,
      userDim: config.projector.userDim,
      contentDim,
      projectedEncoding: config.catalog.projectedEncoding,
      adsByteLength: Buffer.byteLength(JSON.stringify(metadata)),
      popularity: true,
    },
    contentSettings,
  );
  const vectors = await encoder.encode(ads.map(encoderText));
  // What the bundle carries is what every device and every round's re-projection see.
  const content: CatalogContent =
    contentShape.contentEncoding === 'pq8'
      ? await codeContent(
          vectors,
          contentDim,
          contentShape.contentSubspaces,
          contentOptions.onProgress,
        )
      : { encoding: 'f32', values: vectors };
  const popularity = await popularityCarriedOver(store, ads, config);
  // A store that this catalog initialises gets a projector 1 fitted to it.
  await store.initialize(async () =>
    initialState(config, new Date(), { content: vectors, count: ads.length }),
  );
  return store.publish('catalog', async ({ version, projector }) => {
    if (projector === undefined)
      throw new StorageError('STORAGE_CORRUPT', 'the store has no projector');
    const projected = await projectWithFile(projector.bytes, content, ads.length);
    const versions = { catalogVersion: version, projectorVersion: projector.info.version };
    const bytes = encodeCatalogBundle(
      {
        ...versions,
        encoderId: encoder.id,
        contentDim,
        userDim: config.projector.userDim,
        projected,
        content,
        ads: metadata,
        ...(popularity ? { popularity } : {}),
      },
      { projectedEncoding: config.catalog.projectedEncoding },
    );
    if (!withIndex) return bytes;
    return {
      bytes,
      pqIndex: await buildPqIndex(projected, config.projector.userDim, versions, {
        stages,
        partitions,
        ...(onProgress === undefined ? {} : { onProgress }),
      }),
    };
  });
}

/** Options of {@link importCatalog}. */
export interface ImportCatalogOptions {
  /** JSONL file of ads (or give `ads`). */
  file?: string;
  /** The ads (or give `file`). */
  ads?: readonly CatalogAdInput[];
  /** Embedded store directory (or give `store`). */
  dataDir?: string;
  /** An open store or a store location (or give `dataDir`). */
  store?: Store | StoreLocation;
  /**
   * Content encoder.
   * @defaultValue the project's default encoder via `createNodeEncoder()` (disposed afterwards)
   */
  encoder?: ContentEncoder;
  /** Configuration overrides (must match the server's projector settings). */
  config?: ConfigOverrides;
  /**
   * Whether (`when`) and how to build the catalog's PQ index (for catalogs too large to ship as
   * int8 rows).
   * @defaultValue built when the catalog has at least `config.catalog.pqIndex.minAds` ads
   */
  pqIndex?: PqIndexBuildOptions;
  /**
   * How to encode the content vectors, and the coding's progress.
   * @defaultValue the configuration's `catalog.contentEncoding` and `catalog.contentSubspaces`
   */
  content?: ContentBuildOptions;
}

/**
 * Publishes a catalog version from a JSONL file or a list of ads.
 * @param options - source, store, encoder, PQ index
 * @returns the new version's description (its `pqIndex` describes the index, when built)
 * @throws TypeError without a source or a store; ProtocolError for invalid ads; StorageError when
 *   the store is unavailable (e.g. an embedded directory in use by a running server: use
 *   `POST /v1/admin/catalog` then)
 */
export async function importCatalog(options: ImportCatalogOptions): Promise<VersionInfo> {
  const config = resolveConfig(options.config);
  let ads = options.ads;
  if (ads === undefined) {
    if (options.file === undefined) throw new TypeError('importCatalog needs file or ads');
    ads = parseAdsJsonl(await readFile(options.file, 'utf8'));
  }
  const location: StoreLocation | undefined =
    options.store !== undefined && 'kind' in options.store && !('initialize' in options.store)
      ? options.store
      : options.dataDir !== undefined
        ? { kind: 'embedded', dataDir: options.dataDir }
        : undefined;
  const given =
    options.store !== undefined && 'initialize' in options.store ? options.store : undefined;
  if (given === undefined && location === undefined)
    throw new TypeError('importCatalog needs dataDir or store');
  const store = given ?? (await openStore(location as StoreLocation, config));
  // Loaded on demand: onnxruntime-node is only needed when something is encoded.
  const encoder =
    options.encoder ?? (await (await import('@privads/encoder-node')).createNodeEncoder());
  try {
    return await publishCatalog(
      store,
      ads,
      encoder,
      config,
      options.pqIndex ?? {},
      options.content ?? {},
    );
  } finally {
    if (options.encoder === undefined) await encoder.dispose();
    if (given === undefined) await store.close();
  }
}
