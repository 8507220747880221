/**
 * Generated protocol artefacts for client tests: a catalog bundle, the projector that produced it
 * (safetensors) and round configs, built with the real `@privads/protocol` and `@privads/model`
 * code. Ads come in topical clusters so that learning visibly moves rankings.
 */
import '@tensorflow/tfjs-backend-cpu';
import {
  createProjector,
  seededUniforms,
  trainContentQuantizer,
  trainProductQuantizer,
  type ProjectorSpec,
} from '@privads/model';
import {
  ROUND_CONFIG_FORMAT_VERSION,
  contentRows,
  encodeCatalogBundle,
  encodePqIndex,
  type AdMetadata,
  type CatalogPopularity,
  type RoundConfig,
  type RoundPrivacy,
} from '@privads/protocol';

/** Topics of the generated ads (one content cluster each). */
export const TOPICS = [
  'sport',
  'travel',
  'finance',
  'cooking',
  'tech',
  'gardening',
  'music',
  'cars',
];

/** Options of {@link buildFixture}. */
export interface FixtureOptions {
  /** Number of ads. @defaultValue 200 */
  readonly ads?: number;
  /** Number of advertisers (ads are dealt round-robin). @defaultValue 40 */
  readonly advertisers?: number;
  /** Projector architecture. @defaultValue `'linear'` */
  readonly projector?: ProjectorSpec['kind'];
  readonly catalogVersion?: number;
  readonly projectorVersion?: number;
  readonly seed?: number;
  /** Released per-ad counts and the prior's weight the bundle carries. @defaultValue none */
  readonly popularity?: CatalogPopularity;
  /** Also build the catalog's PQ index with these stages (as the server does at import). */
  readonly pqStages?: readonly number[];
  /**
   * Ship the content product-quantised (`pq8`, 48 sub-spaces), projecting the reconstructions as
   * the server does. @defaultValue `'f16'`
   */
  readonly contentEncoding?: 'f16' | 'pq8';
}

/** Everything a protocol test server serves. */
export interface Fixture {
  readonly catalogVersion: number;
  readonly projectorVersion: number;
  readonly catalogBytes: Uint8Array;
  readonly projectorBytes: Uint8Array;
  readonly parameterCount: number;
  readonly spec: ProjectorSpec;
  readonly ads: readonly AdMetadata[];
  /** Content vectors, `ads × 384`: what the bundle carries (with `pq8`, the reconstructions). */
  readonly content: Float32Array;
  /** One unit content vector per topic (page contexts in tests). */
  readonly topicCenters: readonly Float32Array[];
  /** The catalog's PQ index (with `pqStages`). */
  readonly pqIndexBytes?: Uint8Array;
  /** Projected vectors `ads × 128` (f32, before the bundle's int8 quantisation). */
  readonly projected: Float32Array;
}

function normalizeRows(values: Float32Array, dim: number): Float32Array {
  for (let i = 0; i < values.length / dim; i++) {
    const row = values.subarray(i * dim, (i + 1) * dim);
    let sq = 0;
    for (const x of row) sq += x * x;
    const norm = Math.sqrt(sq) || 1;
    for (let j = 0; j < dim; j++) row[j] = (row[j] as number) / norm;
  }
  return values;
}

/**
 * Builds a catalog and its projector.
 * @param options - sizes, architecture, versions, seed
 * @returns bundle bytes, projector bytes and the plain data behind them
 */
export function buildFixture(options: FixtureOptions = {}): Fixture {
  const count = options.ads ?? 200;
  const advertisers = options.advertisers ?? 40;
  const seed = options.seed ?? 1;
  const catalogVersion = options.catalogVersion ?? 1;
  const projectorVersion = options.projectorVersion ?? 1;
  const contentDim = 384;
  const userDim = 128;
  const spec: ProjectorSpec =
    options.projector === 'mlp'
      ? { kind: 'mlp', contentDim, userDim, hiddenDim: 256 }
      : { kind: 'linear', contentDim, userDim };
  const centers = normalizeRows(seededUniforms(TOPICS.length * contentDim, seed), contentDim);
  const noise = seededUniforms(count * contentDim, seed + 1);
  const content = new Float32Array(count * contentDim);
  const ads: AdMetadata[] = [];
  for (let i = 0; i < count; i++) {
    const topic = i % TOPICS.length;
    for (let j = 0; j < contentDim; j++) {
      content[i * contentDim + j] =
        (centers[topic * contentDim + j] as number) + 0.04 * (noise[i * contentDim + j] as number);
    }
    const advertiser = i % advertisers;
    ads.push({
      id: `ad-${i}`,
      title: `${TOPICS[topic]} offer ${i}`,
      url: `https://advertiser-${advertiser}.example/offers/${i}`,
      advertiser: `advertiser-${advertiser}`,
      category: TOPICS[topic] as string,
    });
  }
  normalizeRows(content, contentDim);
  const coded =
    options.contentEncoding === 'pq8' ? trainContentQuantizer(content, contentDim) : undefined;
  const shipped = coded
    ? contentRows(
        coded,
        contentDim,
        Array.from({ length: count }, (_, i) => i),
      )
    : content;
  const projector = createProjector(spec, { seed: seed + 2 });
  try {
    const projected = projector.project(shipped, count);
    const catalogBytes = encodeCatalogBundle({
      catalogVersion,
      projectorVersion,
      encoderId: 'privads-hashed-ngrams-384-v1',
      contentDim,
      userDim,
      projected,
      content: coded ?? content,
      ads,
      ...(options.popularity ? { popularity: options.popularity } : {}),
    });
    return {
      catalogVersion,
      projectorVersion,
      catalogBytes,
      projectorBytes: projector.toSafetensors({ projector_version: String(projectorVersion) }),
      parameterCount: projector.parameterCount,
      spec,
      ads,
      content: shipped,
      topicCenters: TOPICS.map((_, t) => centers.slice(t * contentDim, (t + 1) * contentDim)),
      projected,
      ...(options.pqStages === undefined
        ? {}
        : {
            pqIndexBytes: encodePqIndex({
              ...trainProductQuantizer(projected, userDim, { stages: options.pqStages }),
              catalogVersion,
              projectorVersion,
            }),
          }),
    };
  } finally {
    projector.dispose();
  }
}

/** Privacy parameters of the rounds tests open. */
export const TEST_PRIVACY: Readonly<Record<'local' | 'central' | 'none', RoundPrivacy>> = {
  // σ = 16 with C = 1 (sensitivity 2(C + g√d) = 2.0068 for d = 49,280, g = σ·2^-20) gives ε ≈ 0.63
  // at δ = 1e-6 (analytic Gaussian mechanism).
  local: { mode: 'local', epsilon: 1, delta: 1e-6, sigma: 16 },
  central: { mode: 'central', noiseMultiplier: 1.1, delta: 1e-6 },
  none: { mode: 'none' },
};

/**
 * A round config matching the fixture's projector.
 * @param fixture - the served fixture
 * @param overrides - fields to change (privacy, clip norm, rules, …)
 * @returns the config as the server publishes it
 */
export function roundConfig(fixture: Fixture, overrides: Partial<RoundConfig> = {}): RoundConfig {
  const { spec } = fixture;
  return {
    formatVersion: ROUND_CONFIG_FORMAT_VERSION,
    roundId: 1,
    projectorVersion: fixture.projectorVersion,
    model: {
      kind: spec.kind,
      contentDim: spec.contentDim,
      userDim: spec.userDim,
      ...(spec.kind === 'mlp' ? { hiddenDim: spec.hiddenDim ?? 256 } : {}),
      parameterCount: fixture.parameterCount,
    },
    clipNorm: 1,
    privacy: TEST_PRIVACY.central,
    kMin: 2,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: 1 },
    acceptedEncodings: ['f32', 'f16', 'int8'],
    maxUploadBytes: 8 * 1024 * 1024,
    ...overrides,
  };
}
