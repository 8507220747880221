/**
 * The real `@privads/server` with a catalog big enough to carry a PQ index (20,000 ads by default,
 * generated at test time): ads in topical clusters (a stand-in content encoder: a topic centre plus
 * seeded noise, so rankings have structure, as real catalogs do), imported with the server's own
 * size threshold deciding that the catalog gets an index, partitioned (format version 3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentEncoder } from '@privads/encoder';
import { seededUniforms } from '@privads/model';
import { decodePqIndex } from '@privads/protocol';
import {
  createPrivAdsServer,
  publishCatalog,
  type CatalogAdInput,
  type ConfigOverrides,
  type PrivAdsServer,
} from '@privads/server';
import { DISTRIBUTED_E2E_CONFIG } from './distributed-server.js';
import { unitRowEncoder } from './stand-in-encoder.js';

/** Catalogs of at least this many ads get an index (the default threshold is 100,000). */
export const PQ_E2E_MIN_ADS = 10_000;

const TOPICS = 64;
const CONTENT_DIM = 384;

const CONFIG: ConfigOverrides = {
  projector: { kind: 'linear', contentDim: CONTENT_DIM, userDim: 128, seed: 21 },
  catalog: {
    projectedEncoding: 'int8',
    popularity: { weight: 0.1, smoothing: 1 },
    // The default stages, partitioned as a million-ad catalog is by default (`auto` gives none
    // below 65,536 ads).
    pqIndex: { minAds: PQ_E2E_MIN_ADS, partitions: 16 },
  },
  // Every browser context reaches the server from 127.0.0.1: one client for the rate limiter.
  http: DISTRIBUTED_E2E_CONFIG.http,
};

/** Content vectors of ads whose text names their topic (`topic-T …`): centre of T plus noise. */
function clusteredEncoder(): ContentEncoder {
  const centres = seededUniforms(TOPICS * CONTENT_DIM, 5);
  return unitRowEncoder('privads-e2e-clustered-384', CONTENT_DIM, () => (text, i, row) => {
    const topic = Number(/topic-(\d+)/.exec(text)?.[1] ?? 0) % TOPICS;
    const noise = seededUniforms(CONTENT_DIM, 1000 + i);
    for (let j = 0; j < CONTENT_DIM; j++)
      row[j] = (centres[topic * CONTENT_DIM + j] as number) + 0.8 * (noise[j] as number);
  });
}

/** A running server with an indexed catalog. */
export interface PqCatalogServer {
  readonly server: PrivAdsServer;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The published catalog version. */
  readonly catalogVersion: number;
  close(): Promise<void>;
}

/**
 * Starts the server over a fresh embedded store, publishes `count` ads and listens on a free port.
 * @param count - ads in the catalog
 * @returns the server and its URL
 */
export async function startPqCatalogServer(count = 20_000): Promise<PqCatalogServer> {
  const dir = await mkdtemp(join(tmpdir(), 'privads-pq-e2e-'));
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir: dir },
    config: CONFIG,
  });
  const ads: CatalogAdInput[] = Array.from({ length: count }, (_, i) => ({
    id: `ad-${i}`,
    title: `Offer ${i}`,
    text: `topic-${i % TOPICS} offer ${i}`,
    url: `https://advertiser-${i % 97}.example/offers/${i}`,
    advertiser: `advertiser-${i % 97}`,
    category: `topic-${i % TOPICS}`,
  }));
  const info = await publishCatalog(server.store, ads, clusteredEncoder(), server.config);
  if (info.pqIndex === undefined) throw new Error('the catalog was published without a PQ index');
  const index = decodePqIndex((await server.store.readPqIndex(info.version)) ?? new Uint8Array());
  if (index.partitions?.centroids.length !== 16 * 128) {
    throw new Error(
      'the catalog was published without the PQ index partitions it was configured with',
    );
  }
  const { url } = await server.listen(0);
  return {
    server,
    url,
    catalogVersion: info.version,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
