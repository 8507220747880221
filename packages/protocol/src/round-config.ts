/**
 * The round config: the JSON document the server publishes for each training round and the client
 * validates before it computes anything. Unknown fields are rejected (adding a field is a format
 * version bump), so a client never silently ignores a setting it does not understand.
 */
import { readAdCountsQuery, updateVectorLength, type AdCountsQuery } from './ad-counts.js';
import { ProtocolError } from './errors.js';
import { FieldReader } from './json.js';
import { checkIsoDateTime } from './iso-time.js';
import { UPDATE_DEFAULT_LIMITS } from './limits.js';
import { NONCE_PATTERN } from './nonce.js';
import { UPLOAD_ENCODINGS, type UploadEncoding } from './update-upload.js';

/**
 * Current round config format version. Version 2 added the `distributed` mode and the
 * data-independent participation rules (`minRoundGap`, a required lifetime cap, no event minimum).
 * The optional `counts` query (per-ad impressions and clicks, `ad-counts.ts`) was added within
 * version 2: a client that predates it rejects such a config as having an unknown field, so it
 * fails closed instead of uploading a vector of the wrong length.
 */
export const ROUND_CONFIG_FORMAT_VERSION = 2;

/** Widest modulus of the distributed mode: 2^20 keeps every modular sum exact in the server's accumulator. */
export const MAX_SECURE_SUM_BITS = 20;
/** Narrowest modulus of the distributed mode. */
export const MIN_SECURE_SUM_BITS = 8;

/** Largest `maxUploadBytes` a round config may ask for (1 GiB). */
export const MAX_UPLOAD_BYTES_LIMIT = 2 ** 30;

/** Projector architectures. */
export const PROJECTOR_KINDS = ['linear', 'mlp'] as const;
/** `linear`: `contentDim → userDim`; `mlp`: `contentDim → hiddenDim → userDim`. */
export type ProjectorKind = (typeof PROJECTOR_KINDS)[number];

/** Shape of the shared projector, so the client can check its local model matches. */
export interface ProjectorShape {
  /** Architecture. */
  kind: ProjectorKind;
  /** Input (content embedding) dimension, Dad (default 384). */
  contentDim: number;
  /** Output (user space) dimension, Du (default 128). */
  userDim: number;
  /** Hidden width; present exactly when `kind` is `mlp`. */
  hiddenDim?: number;
  /** Number of trainable parameters = length of every update vector (≤ 1 048 576). */
  parameterCount: number;
}

/**
 * Privacy modes, weakest first: what the server could learn of one device's update. `none` and
 * `central` show it the clipped update; `distributed` shows it only a noised sum of at least
 * `kMin` updates (secure aggregation); `local` noises each update on its own.
 */
export const PRIVACY_MODES = ['none', 'central', 'distributed', 'local'] as const;
/** A privacy mode name. */
export type PrivacyMode = (typeof PRIVACY_MODES)[number];

/** Local DP: each upload is (ε, δ)-DP on its own; the client adds N(0, σ²) per coordinate. */
export interface LocalPrivacy {
  /** Discriminant. */
  mode: 'local';
  /** Per-upload ε (> 0). */
  epsilon: number;
  /** Per-upload δ (0 < δ < 1). */
  delta: number;
  /** Noise standard deviation per coordinate, in update units (> 0); calibrated by the server for (ε, δ, clipNorm). */
  sigma: number;
}

/** Central DP: the client clips; the server adds N(0, (z·C)²) to the sum. */
export interface CentralPrivacy {
  /** Discriminant. */
  mode: 'central';
  /** Noise multiplier z (> 0). */
  noiseMultiplier: number;
  /** δ of the server's accounting (0 < δ < 1). */
  delta: number;
  /** The ε the server's accountant targets over the whole training, if declared (> 0). */
  targetEpsilon?: number;
}

/**
 * Distributed DP (secure aggregation): each device clips, rotates, quantizes its update to integers
 * mod 2^bits, adds its share of discrete Gaussian noise and masks it (SecAgg+); the server learns
 * only the modular sum of at least `kMin` devices. See docs/secure-aggregation.md.
 */
export interface DistributedPrivacy {
  /** Discriminant. */
  mode: 'distributed';
  /** Noise multiplier z of the sum of `kMin` noise shares, in units of the clip norm (> 0). */
  noiseMultiplier: number;
  /** δ of the accounting (0 < δ < 1). */
  delta: number;
  /** Modulus 2^bits of the secure sum (integer, 8 ‥ 20). */
  bits: number;
  /** γ: the real value of one integer step (> 0). */
  granularity: number;
  /** Standard deviation of each device's discrete Gaussian, in integer steps (> 0). */
  deviceSigma: number;
  /** D: the update is zero-padded to this power of two before the rotation (≥ parameterCount). */
  paddedDimension: number;
  /** Public seed of the randomized Hadamard rotation: base64url of 16 bytes, fresh per round. */
  rotationSeed: string;
  /** β of conditional randomized rounding, in [0, 1). */
  beta: number;
  /** Shamir threshold t: shares of a device's secrets needed to unmask it (2 ≤ t ≤ degree). */
  threshold: number;
  /** Degree k of the masking graph: neighbours of each device (even, ≥ 2). */
  degree: number;
  /** Most devices one round admits (≥ kMin). */
  maxCohort: number;
}

/** No DP noise (clipping only): for tests and non-private baselines. */
export interface NoPrivacy {
  /** Discriminant. */
  mode: 'none';
}

/** Privacy parameters of a round, discriminated by `mode`. */
export type RoundPrivacy = LocalPrivacy | CentralPrivacy | DistributedPrivacy | NoPrivacy;

/**
 * Who takes part in a round: the unit of privacy. A device enforces these itself, and whether it
 * joins never depends on its data (a sampled device with nothing to learn from uploads a zero
 * update with its noise).
 */
export interface ParticipationRules {
  /** Lifetime cap on rounds one device joins (integer ≥ 1): the accounting composes this many. */
  maxParticipationsPerDevice: number;
  /** A device joins at most one round in any `minRoundGap` consecutive rounds (integer ≥ 1). */
  minRoundGap: number;
  /**
   * Probability that an eligible device takes part (0 < p ≤ 1). It spreads load; it is never
   * counted as privacy amplification in a headline ε, since the server, the page and the network
   * all see who took part.
   */
  samplingProbability: number;
}

/** One training round's configuration. */
export interface RoundConfig {
  /** Format version of this document (1). */
  formatVersion: typeof ROUND_CONFIG_FORMAT_VERSION;
  /** Round id (integer ≥ 0). */
  roundId: number;
  /** Projector version the updates must be computed against (integer ≥ 0). */
  projectorVersion: number;
  /** Projector shape. */
  model: ProjectorShape;
  /** L2 clip norm C of each device's update (> 0). */
  clipNorm: number;
  /** Privacy mode and parameters. */
  privacy: RoundPrivacy;
  /** Minimum number of updates for the server to release an aggregate (integer ≥ 1). */
  kMin: number;
  /** When the round closes: ISO 8601 date-time with offset. */
  deadline: string;
  /** Participation rules. */
  participation: ParticipationRules;
  /** Update encodings the server accepts (non-empty, no duplicates; exactly `["masked"]` in distributed mode). */
  acceptedEncodings: UploadEncoding[];
  /** Largest upload the server accepts, in bytes (integer, 1 ‥ 2³⁰). */
  maxUploadBytes: number;
  /**
   * The per-ad counts each device appends to its gradient (absent: the upload is the gradient
   * alone). See {@link AdCountsQuery}.
   */
  counts?: AdCountsQuery;
}

/**
 * Orders privacy modes by the protection they give a device against the server: none 0 < central 1 <
 * distributed 2 < local 3. A client with floor `f` refuses a round whose mode `m` has
 * `privacyModeStrength(m) < privacyModeStrength(f)`.
 * @param mode - a privacy mode
 * @returns its strength
 * @throws RangeError for an unknown mode
 */
export function privacyModeStrength(mode: PrivacyMode): number {
  const strength = PRIVACY_MODES.indexOf(mode);
  if (strength < 0) throw new RangeError(`unknown privacy mode ${JSON.stringify(mode)}`);
  return strength;
}

/**
 * Whether a round's privacy mode is at least as strong as the client's floor.
 * @param mode - the round's mode
 * @param floor - the weakest mode the client accepts
 * @returns true when the round may be joined
 * @throws RangeError for an unknown mode
 */
export function meetsPrivacyFloor(mode: PrivacyMode, floor: PrivacyMode): boolean {
  return privacyModeStrength(mode) >= privacyModeStrength(floor);
}

const readDelta = (r: FieldReader): number => r.number('delta', { above: 0, below: 1 });

function readPrivacy(r: FieldReader): RoundPrivacy {
  const mode = r.literal('mode', PRIVACY_MODES);
  let privacy: RoundPrivacy;
  if (mode === 'distributed') {
    privacy = readDistributed(r);
  } else if (mode === 'local') {
    privacy = {
      mode,
      epsilon: r.number('epsilon', { above: 0 }),
      delta: readDelta(r),
      sigma: r.number('sigma', { above: 0 }),
    };
  } else if (mode === 'central') {
    const noiseMultiplier = r.number('noiseMultiplier', { above: 0 });
    const delta = readDelta(r);
    const targetEpsilon = r.optional('targetEpsilon', (k) => r.number(k, { above: 0 }));
    privacy = {
      mode,
      noiseMultiplier,
      delta,
      ...(targetEpsilon === undefined ? {} : { targetEpsilon }),
    };
  } else {
    privacy = { mode };
  }
  r.done();
  return privacy;
}

function readDistributed(r: FieldReader): DistributedPrivacy {
  const privacy: DistributedPrivacy = {
    mode: 'distributed',
    noiseMultiplier: r.number('noiseMultiplier', { above: 0 }),
    delta: readDelta(r),
    bits: r.integer('bits', { min: MIN_SECURE_SUM_BITS, max: MAX_SECURE_SUM_BITS }),
    granularity: r.number('granularity', { above: 0 }),
    deviceSigma: r.number('deviceSigma', { above: 0 }),
    paddedDimension: r.integer('paddedDimension', { min: 1, max: UPDATE_DEFAULT_LIMITS.maxDim }),
    rotationSeed: r.string('rotationSeed', { pattern: NONCE_PATTERN }),
    beta: r.number('beta', { min: 0, below: 1 }),
    threshold: r.integer('threshold', { min: 2 }),
    degree: r.integer('degree', { min: 2 }),
    maxCohort: r.integer('maxCohort', { min: 2 }),
  };
  const d = privacy.paddedDimension;
  if ((d & (d - 1)) !== 0) r.fail('paddedDimension', 'a power of two', d);
  if (privacy.degree % 2 !== 0) r.fail('degree', 'an even number', privacy.degree);
  if (privacy.threshold > privacy.degree) {
    r.fail('threshold', `at most degree (${privacy.degree})`, privacy.threshold);
  }
  return privacy;
}

function readModel(r: FieldReader): ProjectorShape {
  const kind = r.literal('kind', PROJECTOR_KINDS);
  const contentDim = r.integer('contentDim', { min: 1 });
  const userDim = r.integer('userDim', { min: 1 });
  const hiddenDim = r.optional('hiddenDim', (k) => r.integer(k, { min: 1 }));
  if ((kind === 'mlp') !== (hiddenDim !== undefined)) {
    r.fail(
      'hiddenDim',
      kind === 'mlp' ? 'present for kind "mlp"' : 'absent for kind "linear"',
      hiddenDim,
    );
  }
  const parameterCount = r.integer('parameterCount', { min: 1, max: UPDATE_DEFAULT_LIMITS.maxDim });
  r.done();
  return {
    kind,
    contentDim,
    userDim,
    ...(hiddenDim === undefined ? {} : { hiddenDim }),
    parameterCount,
  };
}

function readParticipation(r: FieldReader): ParticipationRules {
  const participation = {
    maxParticipationsPerDevice: r.integer('maxParticipationsPerDevice', { min: 1 }),
    minRoundGap: r.integer('minRoundGap', { min: 1 }),
    samplingProbability: r.number('samplingProbability', { above: 0, max: 1 }),
  };
  r.done();
  return participation;
}

function readEncodings(item: unknown, path: string): UploadEncoding {
  if (typeof item !== 'string' || !(UPLOAD_ENCODINGS as readonly string[]).includes(item)) {
    throw new ProtocolError(
      'BAD_HEADER',
      `${path} must be one of ${UPLOAD_ENCODINGS.join(', ')}, got ${JSON.stringify(item)}`,
    );
  }
  return item as UploadEncoding;
}

/**
 * Validates a round config (typically `await response.json()`) and returns a typed copy that holds
 * only the documented fields.
 * @param json - the parsed JSON document
 * @returns the validated config
 * @throws ProtocolError `UNSUPPORTED_VERSION` when `formatVersion` is not 2, `BAD_HEADER` for a
 *   missing, unknown or mistyped field (or encodings that do not fit the mode: `masked` exactly in
 *   distributed mode), and `OUT_OF_RANGE` for a value outside its bounds
 */
export function parseRoundConfig(json: unknown): RoundConfig {
  const r = new FieldReader(json, 'round config');
  const formatVersion = r.integer('formatVersion');
  if (formatVersion !== ROUND_CONFIG_FORMAT_VERSION) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `round config formatVersion ${formatVersion} is not supported (supported: ${ROUND_CONFIG_FORMAT_VERSION})`,
    );
  }
  const config: RoundConfig = {
    formatVersion: ROUND_CONFIG_FORMAT_VERSION,
    roundId: r.integer('roundId', { min: 0 }),
    projectorVersion: r.integer('projectorVersion', { min: 0 }),
    model: r.object('model', readModel),
    clipNorm: r.number('clipNorm', { above: 0 }),
    privacy: r.object('privacy', readPrivacy),
    kMin: r.integer('kMin', { min: 1 }),
    deadline: checkIsoDateTime('round config.deadline', r.string('deadline')),
    participation: r.object('participation', readParticipation),
    acceptedEncodings: r.array('acceptedEncodings', readEncodings, UPLOAD_ENCODINGS.length),
    maxUploadBytes: r.integer('maxUploadBytes', { min: 1, max: MAX_UPLOAD_BYTES_LIMIT }),
  };
  const counts = r.optional('counts', (k) => r.object(k, readAdCountsQuery));
  if (counts !== undefined) config.counts = counts;
  if (updateVectorLength(config) > UPDATE_DEFAULT_LIMITS.maxDim) {
    r.fail(
      'counts.adCount',
      `small enough for an update of at most ${UPDATE_DEFAULT_LIMITS.maxDim} values`,
      counts?.adCount,
    );
  }
  if (
    config.acceptedEncodings.length === 0 ||
    new Set(config.acceptedEncodings).size !== config.acceptedEncodings.length
  ) {
    r.fail('acceptedEncodings', 'a non-empty list without duplicates', config.acceptedEncodings);
  }
  const distributed = config.privacy.mode === 'distributed';
  if (distributed !== config.acceptedEncodings.includes('masked')) {
    r.fail(
      'acceptedEncodings',
      distributed ? '["masked"] in distributed mode' : 'without "masked" outside distributed mode',
      config.acceptedEncodings,
    );
  }
  if (distributed && config.acceptedEncodings.length !== 1) {
    r.fail('acceptedEncodings', '["masked"] in distributed mode', config.acceptedEncodings);
  }
  if (config.privacy.mode === 'distributed') {
    const { paddedDimension, maxCohort } = config.privacy;
    if (paddedDimension < updateVectorLength(config)) {
      r.fail(
        'privacy.paddedDimension',
        `>= the update length (model.parameterCount + 2·counts.adCount)`,
        paddedDimension,
      );
    }
    if (maxCohort < config.kMin) r.fail('privacy.maxCohort', `>= kMin (${config.kMin})`, maxCohort);
  }
  r.done();
  return config;
}
