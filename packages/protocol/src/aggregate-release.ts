/**
 * The aggregate release: what the server publishes after a round closes — the noised mean update
 * as a safetensors file, so NumPy/PyTorch users can load it. It holds one F32 tensor `update` of
 * shape `[parameterCount]` (the same flat order as the uploads) and three `__metadata__` strings:
 * `format` = `privads.aggregate-release`, `formatVersion` = `1`, and `release` = the JSON
 * {@link AggregateReleaseMetadata} (cohort, clipping, noise, ε(δ) of this release and cumulative,
 * and optionally the parameter layout for splitting the flat vector).
 *
 * Format version 2 (written only when the round asked for per-ad counts) adds two F32 tensors
 * `impressions` and `clicks` of shape `[adCount]` — the noised per-ad totals of the round, in
 * catalog order — and the `counts` metadata object that describes them. Version 1 files still decode.
 */
import { ProtocolError } from './errors.js';
import { assertFinite } from './finite.js';
import { checkIsoDateTime } from './iso-time.js';
import { FieldReader, parseJsonStrict } from './json.js';
import { type DecodeLimits } from './limits.js';
import { PRIVACY_MODES, type PrivacyMode } from './round-config.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.js';

/** `format` metadata value of an aggregate release. */
export const AGGREGATE_RELEASE_FORMAT = 'privads.aggregate-release';
/** Current aggregate release format version. */
export const AGGREGATE_RELEASE_FORMAT_VERSION = 1;
/** Name of the flat update tensor. */
export const AGGREGATE_UPDATE_TENSOR = 'update';
/** Format version of a release that carries per-ad counts. */
const COUNTS_FORMAT_VERSION = 2;
/** Names of the per-ad count tensors of a version 2 release. */
export const AGGREGATE_COUNT_TENSORS = ['impressions', 'clicks'] as const;

/** What the per-ad counts of a release are and how noisy. */
export interface ReleasedCountsMetadata {
  /** Catalog version whose ad order the counts follow (integer ≥ 0). */
  catalogVersion: number;
  /** Number of ads (integer ≥ 1): the length of both count tensors. */
  adCount: number;
  /** i: most impressions one device could add (integer ≥ 1). */
  maxImpressions: number;
  /** c: most clicks one device could add (integer ≥ 0). */
  maxClicks: number;
  /** Standard deviation of each released count's noise, in counts (≥ 0). */
  sigma: number;
  /** The part of this release's ρ that the counts cost (≥ 0; null without a guarantee). */
  rho: number | null;
}

/** The noised per-ad totals of a round. */
export interface ReleasedCounts {
  /** Noised impressions per ad (finite; may be negative or fractional: noise is not post-processed). */
  impressions: Float32Array;
  /** Noised clicks per ad. */
  clicks: Float32Array;
}

/** One parameter of the projector inside the flat vector, in order (e.g. `dense/kernel`, shape `[384, 128]`). */
export interface ParameterLayoutEntry {
  /** Parameter name as the model package names it. */
  name: string;
  /** Shape; row-major. */
  shape: number[];
}

/**
 * The distribution of the noise behind a release. `discrete-gaussian`: exact N_Z(0, (σ/g)²) on an
 * integer grid g (central: the server's, on the 2^-32 grid of the exact sum; local: each device's, on
 * the grid σ·2^-20 after randomized rounding).
 */
export type ReleaseNoise = 'discrete-gaussian';

/** Privacy and provenance of one release. */
export interface AggregateReleaseMetadata {
  /** Round that produced the release (integer ≥ 0). */
  roundId: number;
  /** Projector version the update applies to (integer ≥ 0). */
  projectorVersion: number;
  /** Number of updates averaged (integer ≥ 1; the server never releases fewer than its kMin). */
  cohortSize: number;
  /** L2 clip norm C of each update (> 0). */
  clipNorm: number;
  /** Privacy mode of the round. */
  mode: PrivacyMode;
  /** Noise multiplier z: noise std on the sum divided by C (≥ 0; 0 for `none`). */
  noiseMultiplier: number;
  /** Per-coordinate noise standard deviation on the sum, z·C for `central`, σ per upload for `local` (≥ 0). */
  sigma: number;
  /** Noise distribution (absent for `none`, and in releases that predate the field). */
  noise?: ReleaseNoise;
  /** ε of this release at `delta`; `null` when `mode` is `none`. */
  epsilon: number | null;
  /** δ; `null` when `mode` is `none`. */
  delta: number | null;
  /** ε over all releases so far under the server's accountant; `null` when `mode` is `none`. */
  cumulativeEpsilon: number | null;
  /** ISO 8601 date-time with offset. */
  createdAt: string;
  /** Optional split of the flat vector into named parameters; sizes must sum to the update length. */
  layout?: ParameterLayoutEntry[];
  /** Present exactly when the release carries per-ad counts (format version 2). */
  counts?: ReleasedCountsMetadata;
}

/** A release: metadata plus the noised mean update. */
export interface AggregateRelease {
  /** Privacy and provenance. */
  metadata: AggregateReleaseMetadata;
  /** Noised mean update, flat (finite). */
  update: Float32Array;
  /** Noised per-ad totals; present exactly when `metadata.counts` is. */
  counts?: ReleasedCounts;
}

const nullable = (r: FieldReader, key: string, read: () => number): number | null =>
  r.raw(key) === null ? null : read();

function readLayoutEntry(value: unknown, path: string): ParameterLayoutEntry {
  const r = new FieldReader(value, path);
  const name = r.string('name', { nonEmpty: true, maxLength: 256 });
  const shape = r.array(
    'shape',
    (d, p) => {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw new ProtocolError(
          'BAD_HEADER',
          `${p} must be a non-negative integer, got ${String(d)}`,
        );
      }
      return d;
    },
    16,
  );
  r.done();
  return { name, shape };
}

function readCountsMetadata(r: FieldReader): ReleasedCountsMetadata {
  const counts = {
    catalogVersion: r.integer('catalogVersion', { min: 0 }),
    adCount: r.integer('adCount', { min: 1 }),
    maxImpressions: r.integer('maxImpressions', { min: 1 }),
    maxClicks: r.integer('maxClicks', { min: 0 }),
    sigma: r.number('sigma', { min: 0 }),
    rho: nullable(r, 'rho', () => r.number('rho', { min: 0 })),
  };
  r.done();
  return counts;
}

function readReleaseMetadata(value: unknown, updateLength: number): AggregateReleaseMetadata {
  const r = new FieldReader(value, 'aggregate release');
  const roundId = r.integer('roundId', { min: 0 });
  const projectorVersion = r.integer('projectorVersion', { min: 0 });
  const cohortSize = r.integer('cohortSize', { min: 1 });
  const clipNorm = r.number('clipNorm', { above: 0 });
  const mode = r.literal('mode', PRIVACY_MODES);
  const noiseMultiplier = r.number('noiseMultiplier', { min: 0 });
  const sigma = r.number('sigma', { min: 0 });
  const noise = r.optional('noise', (k) => r.literal(k, ['discrete-gaussian'] as const));
  const epsilon = nullable(r, 'epsilon', () => r.number('epsilon', { above: 0 }));
  const delta = nullable(r, 'delta', () => r.number('delta', { above: 0, below: 1 }));
  const cumulativeEpsilon = nullable(r, 'cumulativeEpsilon', () =>
    r.number('cumulativeEpsilon', { above: 0 }),
  );
  const createdAt = checkIsoDateTime('aggregate release.createdAt', r.string('createdAt'));
  const layout = r.optional('layout', (k) => r.array(k, readLayoutEntry, 4096));
  const counts = r.optional('counts', (k) => r.object(k, readCountsMetadata));
  r.done();
  const guarantees = [epsilon, delta, cumulativeEpsilon];
  if (mode === 'none' ? guarantees.some((g) => g !== null) : guarantees.some((g) => g === null)) {
    r.fail(
      'epsilon',
      mode === 'none'
        ? 'null (with delta and cumulativeEpsilon) for mode "none"'
        : `a number (with delta and cumulativeEpsilon) for mode "${mode}"`,
      epsilon,
    );
  }
  if (layout !== undefined) {
    const total = layout.reduce((sum, { shape }) => sum + shape.reduce((n, d) => n * d, 1), 0);
    if (total !== updateLength) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `aggregate release layout holds ${total} parameters, update has ${updateLength}`,
      );
    }
  }
  return {
    roundId,
    projectorVersion,
    cohortSize,
    clipNorm,
    mode,
    noiseMultiplier,
    sigma,
    ...(noise === undefined ? {} : { noise }),
    epsilon,
    delta,
    cumulativeEpsilon,
    createdAt,
    ...(layout === undefined ? {} : { layout }),
    ...(counts === undefined ? {} : { counts }),
  };
}

function checkCounts(metadata: AggregateReleaseMetadata, counts: ReleasedCounts | undefined): void {
  if ((metadata.counts === undefined) !== (counts === undefined)) {
    throw new ProtocolError(
      'BAD_HEADER',
      'aggregate release counts metadata and count tensors must be present together',
    );
  }
  if (metadata.counts === undefined || counts === undefined) return;
  for (const name of AGGREGATE_COUNT_TENSORS) {
    if (counts[name].length !== metadata.counts.adCount) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `aggregate release ${name} has ${counts[name].length} values, counts.adCount is ${metadata.counts.adCount}`,
      );
    }
    assertFinite(counts[name], `aggregate ${name}`);
  }
}

/**
 * Encodes a release as safetensors.
 * @param release - metadata and the noised mean update
 * @returns safetensors bytes
 * @throws ProtocolError `NON_FINITE`, `DIM_MISMATCH` (layout vs update), `BAD_HEADER` /
 *   `OUT_OF_RANGE` for invalid metadata
 */
export function encodeAggregateRelease(release: AggregateRelease): Uint8Array {
  const metadata = readReleaseMetadata(release.metadata, release.update.length);
  assertFinite(release.update, 'aggregate update');
  const { counts } = release;
  checkCounts(metadata, counts);
  const countTensors = counts
    ? Object.fromEntries(
        AGGREGATE_COUNT_TENSORS.map((name) => [
          name,
          { dtype: 'F32' as const, shape: [counts[name].length], data: counts[name] },
        ]),
      )
    : {};
  return encodeSafetensors(
    {
      [AGGREGATE_UPDATE_TENSOR]: {
        dtype: 'F32',
        shape: [release.update.length],
        data: release.update,
      },
      ...countTensors,
    },
    {
      format: AGGREGATE_RELEASE_FORMAT,
      formatVersion: String(counts ? COUNTS_FORMAT_VERSION : AGGREGATE_RELEASE_FORMAT_VERSION),
      release: JSON.stringify(metadata),
    },
  );
}

/**
 * Decodes and validates a release.
 * @param bytes - safetensors bytes
 * @param limits - safetensors limits (see `decodeSafetensors`)
 * @returns metadata and the update
 * @throws ProtocolError — every safetensors code, plus `BAD_HEADER` when the file is not a
 *   release (tensors or metadata keys other than the documented ones), `UNSUPPORTED_VERSION`,
 *   `DIM_MISMATCH`, `NON_FINITE`, `OUT_OF_RANGE`
 */
export function decodeAggregateRelease(bytes: Uint8Array, limits?: DecodeLimits): AggregateRelease {
  const file = decodeSafetensors(bytes, limits);
  const meta = new FieldReader(file.metadata, 'aggregate release __metadata__');
  if (meta.string('format') !== AGGREGATE_RELEASE_FORMAT) {
    throw new ProtocolError(
      'BAD_HEADER',
      `not an aggregate release: format is ${JSON.stringify(file.metadata.format)}`,
    );
  }
  const version = meta.string('formatVersion');
  const withCounts = version === String(COUNTS_FORMAT_VERSION);
  if (version !== String(AGGREGATE_RELEASE_FORMAT_VERSION) && !withCounts) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `aggregate release formatVersion ${JSON.stringify(version)} is not supported`,
    );
  }
  const releaseJson = meta.string('release');
  meta.done();
  const names = Object.keys(file.tensors);
  const tensor = file.tensors[AGGREGATE_UPDATE_TENSOR];
  const counts = withCounts ? readCountTensors(file.tensors) : undefined;
  if (
    names.length !== 1 + (counts ? AGGREGATE_COUNT_TENSORS.length : 0) ||
    tensor === undefined ||
    tensor.dtype !== 'F32' ||
    tensor.shape.length !== 1
  ) {
    throw new ProtocolError(
      'BAD_HEADER',
      `aggregate release must hold exactly one 1-D F32 tensor "${AGGREGATE_UPDATE_TENSOR}"`,
    );
  }
  assertFinite(tensor.data, 'aggregate update');
  const metadata = readReleaseMetadata(
    parseJsonStrict(releaseJson, 'aggregate release metadata'),
    tensor.data.length,
  );
  if (withCounts !== (metadata.counts !== undefined)) {
    throw new ProtocolError(
      'BAD_HEADER',
      `aggregate release formatVersion ${version} ${withCounts ? 'needs' : 'cannot have'} counts metadata`,
    );
  }
  checkCounts(metadata, counts);
  return { metadata, update: tensor.data, ...(counts ? { counts } : {}) };
}

function readCountTensors(tensors: SafetensorsFile['tensors']): ReleasedCounts {
  const read = (name: (typeof AGGREGATE_COUNT_TENSORS)[number]): Float32Array => {
    const t = tensors[name];
    if (t === undefined || t.dtype !== 'F32' || t.shape.length !== 1) {
      throw new ProtocolError(
        'BAD_HEADER',
        `aggregate release formatVersion ${COUNTS_FORMAT_VERSION} needs a 1-D F32 tensor "${name}"`,
      );
    }
    return t.data as Float32Array;
  };
  return { impressions: read('impressions'), clicks: read('clicks') };
}
