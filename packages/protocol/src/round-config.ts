/**
 * The round config: the JSON document the server publishes for each training round and the client
 * validates before it computes anything. Unknown fields are rejected (adding a field is a format
 * version bump), so a client never silently ignores a setting it does not understand.
 */
import { ProtocolError } from './errors.js';
import { FieldReader } from './json.js';
import { checkIsoDateTime } from './iso-time.js';
import { UPDATE_DEFAULT_LIMITS } from './limits.js';
import { UPDATE_ENCODINGS, type UpdateEncoding } from './update-upload.js';

/** Current round config format version. */
export const ROUND_CONFIG_FORMAT_VERSION = 1;

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
 * Privacy modes, weakest first. `distributed` (secure aggregation) is reserved: it has a strength
 * but format version 1 does not carry its parameters yet.
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

/** No DP noise (clipping only): for tests and non-private baselines. */
export interface NoPrivacy {
  /** Discriminant. */
  mode: 'none';
}

/** Privacy parameters of a round, discriminated by `mode`. */
export type RoundPrivacy = LocalPrivacy | CentralPrivacy | NoPrivacy;

/** Who takes part in a round. */
export interface ParticipationRules {
  /** A device uploads only after at least this many events this round (integer ≥ 0). */
  minEventsPerRound: number;
  /** Lifetime cap on rounds one device joins, used by privacy accounting (integer ≥ 1). */
  maxParticipationsPerDevice?: number;
  /** Probability that an eligible device takes part (0 < p ≤ 1; privacy amplification by sampling). */
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
  /** Update encodings the server accepts (non-empty, no duplicates). */
  acceptedEncodings: UpdateEncoding[];
  /** Largest upload the server accepts, in bytes (integer, 1 ‥ 2³⁰). */
  maxUploadBytes: number;
}

/**
 * Orders privacy modes by the protection they give a device: none 0 < central 1 <
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
  const mode = r.literal('mode', ['none', 'central', 'local'] as const);
  let privacy: RoundPrivacy;
  if (mode === 'local') {
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
  const minEventsPerRound = r.integer('minEventsPerRound', { min: 0 });
  const maxParticipationsPerDevice = r.optional('maxParticipationsPerDevice', (k) =>
    r.integer(k, { min: 1 }),
  );
  const samplingProbability = r.number('samplingProbability', { above: 0, max: 1 });
  r.done();
  return {
    minEventsPerRound,
    ...(maxParticipationsPerDevice === undefined ? {} : { maxParticipationsPerDevice }),
    samplingProbability,
  };
}

function readEncodings(item: unknown, path: string): UpdateEncoding {
  if (typeof item !== 'string' || !(UPDATE_ENCODINGS as readonly string[]).includes(item)) {
    throw new ProtocolError(
      'BAD_HEADER',
      `${path} must be one of ${UPDATE_ENCODINGS.join(', ')}, got ${JSON.stringify(item)}`,
    );
  }
  return item as UpdateEncoding;
}

/**
 * Validates a round config (typically `await response.json()`) and returns a typed copy that holds
 * only the documented fields.
 * @param json - the parsed JSON document
 * @returns the validated config
 * @throws ProtocolError `UNSUPPORTED_VERSION` when `formatVersion` is not 1, `BAD_HEADER` for a
 *   missing, unknown or mistyped field (including `privacy.mode: "distributed"`, reserved), and
 *   `OUT_OF_RANGE` for a value outside its bounds
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
    acceptedEncodings: r.array('acceptedEncodings', readEncodings, UPDATE_ENCODINGS.length),
    maxUploadBytes: r.integer('maxUploadBytes', { min: 1, max: MAX_UPLOAD_BYTES_LIMIT }),
  };
  if (
    config.acceptedEncodings.length === 0 ||
    new Set(config.acceptedEncodings).size !== config.acceptedEncodings.length
  ) {
    r.fail('acceptedEncodings', 'a non-empty list without duplicates', config.acceptedEncodings);
  }
  r.done();
  return config;
}
