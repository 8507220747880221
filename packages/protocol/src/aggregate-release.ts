/**
 * The aggregate release: what the server publishes after a round closes — the noised mean update
 * as a safetensors file, so NumPy/PyTorch users can load it. It holds one F32 tensor `update` of
 * shape `[parameterCount]` (the same flat order as the uploads) and three `__metadata__` strings:
 * `format` = `privads.aggregate-release`, `formatVersion` = `1`, and `release` = the JSON
 * {@link AggregateReleaseMetadata} (cohort, clipping, noise, ε(δ) of this release and cumulative,
 * and optionally the parameter layout for splitting the flat vector).
 */
import { ProtocolError } from './errors.js';
import { assertFinite } from './finite.js';
import { checkIsoDateTime } from './iso-time.js';
import { FieldReader, parseJsonStrict } from './json.js';
import { type DecodeLimits } from './limits.js';
import { PRIVACY_MODES, type PrivacyMode } from './round-config.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** `format` metadata value of an aggregate release. */
export const AGGREGATE_RELEASE_FORMAT = 'privads.aggregate-release';
/** Current aggregate release format version. */
export const AGGREGATE_RELEASE_FORMAT_VERSION = 1;
/** Name of the flat update tensor. */
export const AGGREGATE_UPDATE_TENSOR = 'update';

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
}

/** A release: metadata plus the noised mean update. */
export interface AggregateRelease {
  /** Privacy and provenance. */
  metadata: AggregateReleaseMetadata;
  /** Noised mean update, flat (finite). */
  update: Float32Array;
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
  };
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
  return encodeSafetensors(
    {
      [AGGREGATE_UPDATE_TENSOR]: {
        dtype: 'F32',
        shape: [release.update.length],
        data: release.update,
      },
    },
    {
      format: AGGREGATE_RELEASE_FORMAT,
      formatVersion: String(AGGREGATE_RELEASE_FORMAT_VERSION),
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
  if (version !== String(AGGREGATE_RELEASE_FORMAT_VERSION)) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `aggregate release formatVersion ${JSON.stringify(version)} is not supported`,
    );
  }
  const releaseJson = meta.string('release');
  meta.done();
  const names = Object.keys(file.tensors);
  const tensor = file.tensors[AGGREGATE_UPDATE_TENSOR];
  if (
    names.length !== 1 ||
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
  return { metadata, update: tensor.data };
}
