/**
 * The real `@privads/server` in distributed mode, small enough for a handful of browser contexts:
 * a 384→128 linear projector (49,280 parameters, padded to 65,536), k_min 4, at most 5 devices,
 * a complete masking graph (degree 4, threshold 3), short phases, and a catalog published with a
 * stand-in content encoder (seeded unit vectors: the client never encodes text in these tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContentEncoder } from '@privads/encoder';
import { unitRowEncoder } from './stand-in-encoder.js';
import {
  createPrivAdsServer,
  publishCatalog,
  type CatalogAdInput,
  type ConfigOverrides,
  type PrivAdsServer,
} from '@privads/server';

/** Bearer token of the operator API. */
export const OPERATOR_TOKEN = 'distributed-e2e-operator-token';

/** Devices a round admits; the spec runs exactly this many browser contexts. */
export const COHORT = 5;

/** The round template: distributed, k_min 4, cohort ≤ 5, complete graph, 20-second phases. */
export const DISTRIBUTED_E2E_CONFIG: ConfigOverrides = {
  projector: { kind: 'linear', contentDim: 384, userDim: 128, seed: 11 },
  round: {
    durationSeconds: 600,
    clipNorm: 1,
    privacy: {
      mode: 'distributed',
      noiseMultiplier: 1,
      delta: 1e-6,
      bits: 16,
      degree: 4,
      threshold: 3,
      maxCohort: COHORT,
      phaseSeconds: 20,
    },
    kMin: 4,
    denominator: COHORT,
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: 1 },
    acceptedEncodings: ['f16'],
    // Per-ad counts ride inside the masked vector: the spec checks the release carries them.
    counts: { maxImpressions: 8, maxClicks: 2, normShare: 0.5 },
  },
  // Every context reaches the server from 127.0.0.1: one client for the rate limiter.
  http: {
    rateLimit: {
      uploads: { ratePerSecond: 100, burst: 100 },
      reads: { ratePerSecond: 1000, burst: 1000 },
    },
    trustProxy: false,
    maxOperatorBodyBytes: 64 * 1024,
  },
  store: { snapshotBytes: 1 << 24, flushIntervalMs: 50, flushMaxPending: 4, pollIntervalMs: 50 },
};

/** Seeded unit vectors of the encoder's dimension, one per text, in order. */
function standInEncoder(dim: number): ContentEncoder {
  return unitRowEncoder('privads-e2e-seeded-384', dim, () => {
    let state = 0x9e3779b9;
    return (_, __, row) => {
      for (let j = 0; j < dim; j++) {
        state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
        row[j] = state / 2 ** 32 - 0.5;
      }
    };
  });
}

/** A running distributed server. */
export interface DistributedServer {
  readonly server: PrivAdsServer;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** An operator API call (bearer token), in process. */
  operator(path: string): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the server over a fresh embedded store, publishes a 40-ad catalog and listens on a free
 * port of 127.0.0.1.
 * @returns the server and its URL
 */
export async function startDistributedServer(): Promise<DistributedServer> {
  const dir = await mkdtemp(join(tmpdir(), 'privads-distributed-e2e-'));
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir: dir },
    operatorToken: OPERATOR_TOKEN,
    config: DISTRIBUTED_E2E_CONFIG,
  });
  const ads: CatalogAdInput[] = Array.from({ length: 40 }, (_, i) => ({
    id: `ad-${i}`,
    title: `Offer ${i}`,
    text: `offer number ${i}`,
    url: `https://advertiser-${i % 8}.example/offers/${i}`,
    advertiser: `advertiser-${i % 8}`,
    category: `topic-${i % 5}`,
  }));
  await publishCatalog(server.store, ads, standInEncoder(384), server.config);
  // The round open at publication counts no ads; the next one counts this catalog's.
  const closed = await server.fetch(
    new Request('http://privads.test/v1/admin/rounds/close', {
      method: 'POST',
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    }),
  );
  if (!closed.ok) throw new Error(`closing the first round: HTTP ${closed.status}`);
  const { url } = await server.listen(0);
  return {
    server,
    url,
    operator: (path) =>
      server.fetch(
        new Request(`${url}${path}`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } }),
      ),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
