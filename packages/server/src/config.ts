/**
 * Server configuration: one JSON document (file `--config`), merged over {@link DEFAULT_CONFIG}.
 * Round settings are a template: every new round's config is built from them when it opens, so an
 * edit takes effect from the next round on.
 */
import { readFile } from 'node:fs/promises';

import type { ParticipationRules, ProjectedEncoding, UpdateEncoding } from '@privads/protocol';
import { CONTENT_ENCODINGS, PROJECTED_ENCODINGS, UPDATE_ENCODINGS } from '@privads/protocol';
import { checkPqPartitions, checkPqStages, DEFAULT_PQ_STAGES } from '@privads/model';

import { checkAdaptiveClipConfig, type AdaptiveClipConfig } from './rounds/adaptive-clip.js';
import {
  checkSecureAggregation,
  type DistributedPrivacySettings,
} from './rounds/secure-aggregation-settings.js';
import { checkOptimizerConfig, type ServerOptimizerConfig } from './rounds/server-optimizer.js';

/**
 * Privacy settings of the round template (for `local`, the server calibrates σ from ε, δ and C;
 * for `distributed`, the secure-sum encoding from z, the modulus and the cohort bounds).
 */
export type PrivacySettings =
  | DistributedPrivacySettings
  | { mode: 'central'; noiseMultiplier: number; delta: number; targetEpsilon?: number }
  | { mode: 'local'; epsilon: number; delta: number }
  | { mode: 'none' };

/** Round template. */
export interface RoundSettings {
  /** Round length in seconds; the deadline is `opened + duration`. */
  durationSeconds: number;
  /** Clip norm C of the first round (adaptive clipping moves it later). */
  clipNorm: number;
  /** Privacy mode and parameters. */
  privacy: PrivacySettings;
  /** Fewest updates for a release; below it the round releases nothing and rolls over. */
  kMin: number;
  /**
   * Divisor of the sum: `'cohort'` (the number of updates received) or a fixed expected cohort size
   * (recommended with central DP, so that the mean's scale does not depend on who took part).
   */
  denominator: 'cohort' | number;
  /** Participation rules published in the round config. */
  participation: ParticipationRules;
  /** Accepted upload encodings. */
  acceptedEncodings: UpdateEncoding[];
  /** Upload cap in bytes; default: the size of an f32 upload of the model. */
  maxUploadBytes?: number;
  /**
   * Adaptive clipping (central and none modes only; needs a numeric `denominator`, the fixed
   * expected cohort size the noised below-clip count is divided by).
   */
  adaptiveClipping?: AdaptiveClipConfig;
  /**
   * Per-ad impression and click counts, released with the gradient through the same privacy mode
   * (absent: no counts). Opt-in, because they cost privacy budget: the counts segment's L2 bound is
   * `normShare · C`, so in central and distributed mode each release costs (1 + normShare²) times
   * the gradient's ρ, and each released count carries noise of std z·√(i² + c²)/normShare (in
   * local mode σ grows instead, the declared ε staying the same).
   */
  counts?: CountsSettings;
}

/** The per-ad counts query of the round template. */
export interface CountsSettings {
  /** i: most impressions one device reports per round (integer ≥ 1). */
  maxImpressions: number;
  /** c: most clicks one device reports per round (integer ≥ 0). */
  maxClicks: number;
  /** The counts segment's L2 bound as a fraction of the clip norm C (> 0). */
  normShare: number;
}

/** How published catalogs weigh the released counts in the ranking. */
export interface PopularitySettings {
  /** w ≥ 0 of `score = cos + w · prior` (the simulator's validation split chooses it). */
  weight: number;
  /** α > 0: pseudo-clicks per ad of the prior. */
  smoothing: number;
}

/**
 * When published catalogs get a PQ index (`docs/protocol.md`), which the server keeps with the
 * catalog version and serves whole at `/v1/catalog/{version}/pq-index`.
 */
export interface PqIndexSettings {
  /**
   * Catalogs of at least this many ads get an index at import (an import may also ask for one
   * explicitly); a round's re-projected catalog gets one exactly when the catalog it replaces had
   * one, with the same stages. Integer ≥ 1.
   */
  minAds: number;
  /** Sub-spaces per stage: 1‥8 even divisors of the user dimension (checked when an index is built). */
  stages: number[];
  /**
   * Partitions (k-means) the index splits the ads into before coding their residuals, for this
   * import and every re-projection (`trainProductQuantizer`'s `partitions`): `auto` (one per 4096
   * ads, at most 256, none under 65,536 ads), or an integer 0‥65,536 (0: none).
   */
  partitions: number | 'auto';
}

/** Token bucket settings. */
export interface BucketSettings {
  /** Sustained requests per second per client. */
  ratePerSecond: number;
  /** Burst size. */
  burst: number;
}

/** The whole server configuration. */
export interface ServerConfig {
  /** Shared projector architecture and the seed of its first version. */
  projector: {
    kind: 'linear' | 'mlp';
    contentDim: number;
    userDim: number;
    hiddenDim?: number;
    seed: number;
  };
  /** Round template. */
  round: RoundSettings;
  /** Server optimizer. */
  optimizer: ServerOptimizerConfig;
  /** Catalog publishing (and the popularity prior re-projected catalogs carry). */
  catalog: {
    projectedEncoding: ProjectedEncoding;
    /**
     * How imports encode the content vectors: `f16` rows, `pq8` codes (one byte per sub-space),
     * or `auto`: `f16` while the bundle fits the readers' decode limit, else `pq8`. A round's
     * re-projection keeps the encoding (and the very codes) of the catalog it replaces.
     */
    contentEncoding: (typeof CONTENT_ENCODING_SETTINGS)[number];
    /**
     * Sub-spaces of `pq8` content (bytes per ad): `auto`, the most (2 dimensions each, 192 at 384)
     * whose bundle fits the readers' decode limit, or an integer dividing contentDim.
     */
    contentSubspaces: number | 'auto';
    popularity: PopularitySettings;
    pqIndex: PqIndexSettings;
  };
  /** HTTP front. */
  http: {
    /** Per-address limits of uploads and of other public requests. */
    rateLimit: { uploads: BucketSettings; reads: BucketSettings };
    /** Use the last `X-Forwarded-For` hop as the client address (behind a trusted proxy only). */
    trustProxy: boolean;
    /** Largest operator request body (admin calls), bytes. */
    maxOperatorBodyBytes: number;
  };
  /** Store tuning. */
  store: {
    /** Embedded store: write a snapshot once the log passes this many bytes. */
    snapshotBytes: number;
    /** PostgreSQL: how often an instance folds its uploads into its partial sum, ms. */
    flushIntervalMs: number;
    /** PostgreSQL: fold as soon as this many uploads wait. */
    flushMaxPending: number;
    /** PostgreSQL: how often an instance re-reads the open round (another may have closed it), ms. */
    pollIntervalMs: number;
  };
}

/** A partial configuration as read from a file (every field optional, nested). */
export type ConfigOverrides = {
  [K in Exclude<keyof ServerConfig, 'catalog'>]?: ServerConfig[K] extends object
    ? Partial<ServerConfig[K]>
    : ServerConfig[K];
} & {
  /** Merged field by field, down into `pqIndex` (whose fields default one by one too). */
  catalog?: Partial<Omit<ServerConfig['catalog'], 'pqIndex'>> & {
    pqIndex?: Partial<PqIndexSettings>;
  };
};

/**
 * Defaults: a linear 384→128 projector, hour-long distributed-DP rounds (secure aggregation; the
 * server learns only the noised sum of at least k_min = 100 devices), a device joining at most one
 * round a day and 30 in all.
 */
export const DEFAULT_CONFIG: ServerConfig = Object.freeze({
  projector: { kind: 'linear', contentDim: 384, userDim: 128, seed: 0x5eed },
  round: {
    durationSeconds: 3600,
    clipNorm: 1,
    privacy: { mode: 'distributed', noiseMultiplier: 4, delta: 1e-6 },
    kMin: 100,
    denominator: 100,
    participation: { maxParticipationsPerDevice: 30, minRoundGap: 24, samplingProbability: 0.05 },
    acceptedEncodings: ['f16', 'int8', 'f32'],
  },
  optimizer: { kind: 'fedavg', learningRate: 1, momentum: 0.9 },
  catalog: {
    projectedEncoding: 'int8',
    contentEncoding: 'auto',
    contentSubspaces: 'auto',
    popularity: { weight: 0.1, smoothing: 1 },
    // 100k ads are 12.8 MB of int8 rows, the most the exact engines rank within a few ms.
    pqIndex: { minAds: 100_000, stages: [...DEFAULT_PQ_STAGES], partitions: 'auto' },
  },
  http: {
    rateLimit: {
      uploads: { ratePerSecond: 1, burst: 5 },
      reads: { ratePerSecond: 20, burst: 100 },
    },
    trustProxy: false,
    maxOperatorBodyBytes: 64 * 1024,
  },
  store: {
    snapshotBytes: 64 * 1024 * 1024,
    flushIntervalMs: 1000,
    flushMaxPending: 256,
    pollIntervalMs: 1000,
  },
}) as ServerConfig;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges objects recursively; arrays and scalars of `over` replace those of `base`. */
function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(out[key], value);
  return out as T;
}

function positive(path: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${path} must be a number > 0, got ${String(value)}`);
  }
}

function probability(path: string, value: number, { inclusive }: { inclusive: boolean }): void {
  const ok = typeof value === 'number' && value > 0 && (inclusive ? value <= 1 : value < 1);
  if (!ok)
    throw new RangeError(`${path} must be in (0, 1${inclusive ? ']' : ')'}, got ${String(value)}`);
}

function integer(path: string, value: number, min: number): void {
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`${path} must be an integer >= ${min}, got ${String(value)}`);
  }
}

function checkPrivacy(round: RoundSettings): void {
  const { privacy } = round;
  const adaptive = round.adaptiveClipping !== undefined;
  if (privacy.mode === 'distributed') {
    checkSecureAggregation(privacy, round);
    // The server never sees an individual norm, so it has nothing to count below the clip.
    if (adaptive)
      throw new RangeError('round.adaptiveClipping is not available in distributed mode');
  } else if (privacy.mode === 'central') {
    positive('round.privacy.noiseMultiplier', privacy.noiseMultiplier);
    probability('round.privacy.delta', privacy.delta, { inclusive: false });
    if (privacy.targetEpsilon !== undefined)
      positive('round.privacy.targetEpsilon', privacy.targetEpsilon);
  } else if (privacy.mode === 'local') {
    positive('round.privacy.epsilon', privacy.epsilon);
    probability('round.privacy.delta', privacy.delta, { inclusive: false });
    if (adaptive) throw new RangeError('round.adaptiveClipping is not available in local mode');
  } else if (privacy.mode !== 'none') {
    throw new RangeError(
      `round.privacy.mode must be "distributed", "central", "local" or "none", got ${JSON.stringify((privacy as { mode: unknown }).mode)}`,
    );
  }
}

function checkRound(round: RoundSettings): void {
  positive('round.durationSeconds', round.durationSeconds);
  positive('round.clipNorm', round.clipNorm);
  integer('round.kMin', round.kMin, 1);
  if (round.denominator !== 'cohort') integer('round.denominator', round.denominator, 1);
  checkPrivacy(round);
  if (round.adaptiveClipping) {
    checkAdaptiveClipConfig(round.adaptiveClipping);
    // A data-dependent divisor (the real cohort size) would leak beyond the accounted count noise.
    if (round.denominator === 'cohort') {
      throw new RangeError(
        'round.adaptiveClipping needs a fixed numeric round.denominator (the expected cohort size), got "cohort"',
      );
    }
  }
  integer(
    'round.participation.maxParticipationsPerDevice',
    round.participation.maxParticipationsPerDevice,
    1,
  );
  integer('round.participation.minRoundGap', round.participation.minRoundGap, 1);
  probability('round.participation.samplingProbability', round.participation.samplingProbability, {
    inclusive: true,
  });
  const encodings = round.acceptedEncodings;
  if (
    !Array.isArray(encodings) ||
    encodings.length === 0 ||
    encodings.some((e) => !UPDATE_ENCODINGS.includes(e))
  ) {
    throw new RangeError(
      `round.acceptedEncodings must list some of ${UPDATE_ENCODINGS.join(', ')}, got ${JSON.stringify(encodings)}`,
    );
  }
  if (round.maxUploadBytes !== undefined) integer('round.maxUploadBytes', round.maxUploadBytes, 1);
  if (round.counts !== undefined) {
    integer('round.counts.maxImpressions', round.counts.maxImpressions, 1);
    integer('round.counts.maxClicks', round.counts.maxClicks, 0);
    positive('round.counts.normShare', round.counts.normShare);
  }
}

/**
 * Merges overrides over the defaults and validates the result.
 * @param overrides - partial configuration (e.g. parsed from a file)
 * @param base - what to merge over
 * @defaultValue base = {@link DEFAULT_CONFIG}
 * @returns the complete configuration
 * @throws RangeError naming the first invalid field and its value
 */
export function resolveConfig(
  overrides: ConfigOverrides = {},
  base: ServerConfig = DEFAULT_CONFIG,
): ServerConfig {
  const config = deepMerge(base, overrides);
  // A privacy block replaces the default one whole: mixing fields of two modes is never meant.
  if (overrides.round?.privacy) config.round.privacy = overrides.round.privacy;
  if (overrides.optimizer) config.optimizer = overrides.optimizer as ServerOptimizerConfig;
  checkRound(config.round);
  checkOptimizerConfig(config.optimizer);
  if (!PROJECTED_ENCODINGS.includes(config.catalog.projectedEncoding)) {
    throw new RangeError(
      `catalog.projectedEncoding must be one of ${PROJECTED_ENCODINGS.join(', ')}`,
    );
  }
  checkContentSettings(config.catalog, config.projector.contentDim);
  const { weight, smoothing } = config.catalog.popularity;
  if (!(weight >= 0) || !Number.isFinite(weight)) {
    throw new RangeError(`catalog.popularity.weight must be a finite number >= 0, got ${weight}`);
  }
  positive('catalog.popularity.smoothing', smoothing);
  checkPqIndexSettings(config.catalog.pqIndex);
  for (const name of ['uploads', 'reads'] as const) {
    positive(`http.rateLimit.${name}.ratePerSecond`, config.http.rateLimit[name].ratePerSecond);
    positive(`http.rateLimit.${name}.burst`, config.http.rateLimit[name].burst);
  }
  integer('http.maxOperatorBodyBytes', config.http.maxOperatorBodyBytes, 1);
  integer('store.snapshotBytes', config.store.snapshotBytes, 1);
  integer('store.flushIntervalMs', config.store.flushIntervalMs, 1);
  integer('store.flushMaxPending', config.store.flushMaxPending, 1);
  integer('store.pollIntervalMs', config.store.pollIntervalMs, 1);
  return config;
}

/** Values of `catalog.contentEncoding`. */
export const CONTENT_ENCODING_SETTINGS = ['auto', ...CONTENT_ENCODINGS] as const;

/**
 * Checks content settings (the configuration's, or an import's overrides).
 * @param settings - `contentEncoding` and `contentSubspaces`
 * @param contentDim - the projector's content dimension
 * @throws RangeError naming the invalid field and its value
 */
export function checkContentSettings(
  settings: Pick<ServerConfig['catalog'], 'contentEncoding' | 'contentSubspaces'>,
  contentDim: number,
): void {
  if (!CONTENT_ENCODING_SETTINGS.includes(settings.contentEncoding)) {
    throw new RangeError(
      `catalog.contentEncoding must be one of ${CONTENT_ENCODING_SETTINGS.join(', ')}, got ${JSON.stringify(settings.contentEncoding)}`,
    );
  }
  const m = settings.contentSubspaces;
  if (m !== 'auto' && !(Number.isInteger(m) && m >= 1 && contentDim % m === 0)) {
    throw new RangeError(
      `catalog.contentSubspaces must be 'auto' or an integer dividing projector.contentDim ${contentDim}, got ${JSON.stringify(m)}`,
    );
  }
}

/**
 * Whether the stages divide the user dimension is checked when an index is built (the default
 * stages fit the default dimension only, and a server that never builds an index need not care).
 */
function checkPqIndexSettings(settings: PqIndexSettings): void {
  integer('catalog.pqIndex.minAds', settings.minAds, 1);
  try {
    checkPqStages(settings.stages);
  } catch (error) {
    throw new RangeError(`catalog.pqIndex.stages: ${(error as Error).message}`);
  }
  checkPqPartitions(settings.partitions, 'catalog.pqIndex.partitions');
}

/**
 * Reads a JSON configuration file and resolves it.
 * @param path - file path
 * @returns the complete configuration
 * @throws RangeError for an invalid field; SyntaxError for invalid JSON; the fs error when unreadable
 */
export async function loadConfigFile(path: string): Promise<ServerConfig> {
  const text = await readFile(path, 'utf8');
  const parsed: unknown = JSON.parse(text);
  if (!isPlainObject(parsed)) throw new RangeError(`${path} must hold a JSON object`);
  return resolveConfig(parsed as ConfigOverrides);
}
