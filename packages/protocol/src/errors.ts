/**
 * The one error hierarchy of PrivAds. Every package throws {@link PrivAdsError} (or a subclass) for
 * failures a caller may want to branch on; the stable string {@link ErrorCode} is what callers test,
 * never the message. Codes are plain strings so they survive `JSON.stringify` and `postMessage`
 * (see {@link serializeError} / {@link deserializeError}).
 *
 * Bad arguments (a programming error of the caller) are still `TypeError` / `RangeError`.
 */

/**
 * Format and validation codes, thrown as {@link ProtocolError} by every decoder of this package.
 * The meaning of each code is documented in `docs/protocol.md` ("Error codes").
 */
export const PROTOCOL_ERROR_CODES = [
  /** The input ends before a fixed-size prefix, or before the end of a region a valid header describes. */
  'TRUNCATED',
  /** The input continues after the last byte the header describes. */
  'TRAILING_BYTES',
  /** The magic bytes do not identify the expected format. */
  'BAD_MAGIC',
  /** The format version is not one this build reads. */
  'UNSUPPORTED_VERSION',
  /** Declared sizes disagree with each other or with what the caller expects. */
  'DIM_MISMATCH',
  /** A vector contains NaN or ±Infinity. */
  'NON_FINITE',
  /** A length field claims more bytes than the input holds, or a size that overflows. */
  'LENGTH_OVERFLOW',
  /** The stored checksum does not match the bytes. */
  'CHECKSUM_MISMATCH',
  /** The input, a count or a dimension exceeds the decoder's limits. */
  'OVERSIZE',
  /** A JSON header is not valid UTF-8/JSON or does not match its schema (missing, unknown or mistyped fields). */
  'BAD_HEADER',
  /** A well-typed value lies outside its allowed range. */
  'OUT_OF_RANGE',
] as const;

/** Client-side persistence (IndexedDB, server stores). */
export const STORAGE_ERROR_CODES = [
  'STORAGE_UNAVAILABLE',
  'STORAGE_QUOTA',
  'STORAGE_BLOCKED',
  'STORAGE_CORRUPT',
] as const;

/** Compute backends (scoring engines, ONNX execution providers, tfjs backends). */
export const BACKEND_ERROR_CODES = ['BACKEND_UNAVAILABLE', 'BACKEND_SELF_TEST_FAILED'] as const;

/** Server-side round aggregation. */
export const AGGREGATION_ERROR_CODES = [
  'AGGREGATION_STALE_ROUND',
  'AGGREGATION_DUPLICATE_NONCE',
  'AGGREGATION_TOO_FEW',
  'AGGREGATION_ROUND_CLOSED',
] as const;

/**
 * Secure aggregation (`@privads/secagg`): the device and coordinator state machines. Meanings in
 * `docs/protocol.md` ("Error codes") and `docs/secure-aggregation.md`.
 */
export const SECAGG_ERROR_CODES = [
  /** The request belongs to another phase of the round (HTTP 409 with `Retry-After`). */
  'SECAGG_WRONG_PHASE',
  /** The ticket was never admitted to this round (HTTP 404). */
  'SECAGG_UNKNOWN_TICKET',
  /** The ticket's device was left out at an earlier phase (posted no shares, or no input). */
  'SECAGG_DROPPED',
  /** A well-formed message breaks the protocol: a share to a non-neighbour, a missing share, a key reused, a full cohort. */
  'SECAGG_BAD_MESSAGE',
  /** A request contradicts an earlier one or what the device saw; a device refuses to answer it. */
  'SECAGG_CONFLICTING_REQUEST',
  /** A share ciphertext failed authentication (wrong key, round, sender or recipient, or tampered). */
  'SECAGG_DECRYPTION_FAILED',
  /** Some secret has fewer than `threshold` valid shares, or a reconstructed key does not match. */
  'SECAGG_RECONSTRUCTION_FAILED',
  /** Too few devices remain for the round's minimum; the round is aborted and nothing is released. */
  'SECAGG_TOO_FEW',
] as const;

/** Content encoder (model files and inputs). */
export const ENCODER_ERROR_CODES = [
  'ENCODER_MODEL_MISSING',
  'ENCODER_MODEL_INVALID',
  'ENCODER_INPUT_INVALID',
  'ENCODER_INFERENCE_FAILED',
] as const;

/** Interaction data sets read by the simulator (MovieLens, MIND). */
export const DATASET_ERROR_CODES = ['DATASET_MISSING', 'DATASET_MALFORMED'] as const;

/** Differential-privacy parameters and budgets. */
export const PRIVACY_ERROR_CODES = [
  'PRIVACY_PARAMETER',
  'PRIVACY_BUDGET_EXHAUSTED',
  'PRIVACY_FLOOR_VIOLATED',
] as const;

/** Transport and generic codes, thrown as plain {@link PrivAdsError}. */
export const GENERAL_ERROR_CODES = [
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'CONFLICT',
  'NETWORK',
  'TIMEOUT',
  'ABORTED',
  'INVALID_STATE',
  'INTERNAL',
] as const;

/** Codes of {@link ProtocolError}. */
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];
/** Codes of {@link StorageError}. */
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];
/** Codes of {@link BackendError}. */
export type BackendErrorCode = (typeof BACKEND_ERROR_CODES)[number];
/** Codes of {@link AggregationError}. */
export type AggregationErrorCode = (typeof AGGREGATION_ERROR_CODES)[number];
/** Codes of {@link SecAggError}. */
export type SecAggErrorCode = (typeof SECAGG_ERROR_CODES)[number];
/** Codes of {@link EncoderError}. */
export type EncoderErrorCode = (typeof ENCODER_ERROR_CODES)[number];
/** Codes of {@link DatasetError}. */
export type DatasetErrorCode = (typeof DATASET_ERROR_CODES)[number];
/** Codes of {@link PrivacyError}. */
export type PrivacyErrorCode = (typeof PRIVACY_ERROR_CODES)[number];
/** Codes without an area of their own. */
export type GeneralErrorCode = (typeof GENERAL_ERROR_CODES)[number];

/** Every stable error code. Adding a code is a minor change; renaming or removing one is breaking. */
export const ERROR_CODES = [
  ...PROTOCOL_ERROR_CODES,
  ...STORAGE_ERROR_CODES,
  ...BACKEND_ERROR_CODES,
  ...AGGREGATION_ERROR_CODES,
  ...SECAGG_ERROR_CODES,
  ...ENCODER_ERROR_CODES,
  ...DATASET_ERROR_CODES,
  ...PRIVACY_ERROR_CODES,
  ...GENERAL_ERROR_CODES,
] as const;

/** The stable string code of a {@link PrivAdsError}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

const errorCodeSet: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * Whether `value` is one of the stable {@link ErrorCode}s.
 * @param value - anything, typically a `code` read from JSON
 * @returns true when `value` is a known code
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && errorCodeSet.has(value);
}

/** Options of every PrivAds error constructor. */
export interface PrivAdsErrorOptions {
  /** The underlying error, kept for debugging (`error.cause`). */
  cause?: unknown;
}

/** Base class of every PrivAds error; branch on {@link PrivAdsError.code}. */
export class PrivAdsError extends Error {
  /** The stable machine-readable code. */
  readonly code: ErrorCode;

  /**
   * @param code - stable code callers branch on
   * @param message - human-readable explanation (not stable)
   * @param options - `cause`: the underlying error
   */
  constructor(code: ErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'PrivAdsError';
  }
}

/** A wire format or a JSON document failed validation. */
export class ProtocolError extends PrivAdsError {
  declare readonly code: ProtocolErrorCode;

  /**
   * @param code - one of {@link PROTOCOL_ERROR_CODES}
   * @param message - what was wrong, with the offending value
   * @param options - `cause`: the underlying error (e.g. a `SyntaxError` from JSON)
   */
  constructor(code: ProtocolErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}

/** A differential-privacy condition failed: parameters, budget or the client's floor. */
export class PrivacyError extends PrivAdsError {
  declare readonly code: PrivacyErrorCode;

  /**
   * @param code - one of {@link PRIVACY_ERROR_CODES}
   * @param message - what was wrong
   * @param options - `cause`: the underlying error
   */
  constructor(code: PrivacyErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'PrivacyError';
  }
}

/** Privacy parameters (ε, δ, σ, noise multiplier, …) are invalid or cannot be calibrated. Code `PRIVACY_PARAMETER`. */
export class PrivacyParameterError extends PrivacyError {
  declare readonly code: 'PRIVACY_PARAMETER';

  /**
   * @param message - which parameter and value, e.g. `` `epsilon must be > 0, got ${e}` ``
   * @param options - `cause`: the underlying error
   */
  constructor(message: string, options?: PrivAdsErrorOptions) {
    super('PRIVACY_PARAMETER', message, options);
    this.name = 'PrivacyParameterError';
  }
}

/** Persistent storage failed (quota, private mode, blocked upgrade, corrupt record). */
export class StorageError extends PrivAdsError {
  declare readonly code: StorageErrorCode;

  /**
   * @param code - one of {@link STORAGE_ERROR_CODES}
   * @param message - what failed
   * @param options - `cause`: the underlying `DOMException` or driver error
   */
  constructor(code: StorageErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}

/** A compute backend is missing or failed its self-test. */
export class BackendError extends PrivAdsError {
  declare readonly code: BackendErrorCode;

  /**
   * @param code - one of {@link BACKEND_ERROR_CODES}
   * @param message - which backend and why (collect every failure into one message)
   * @param options - `cause`: the underlying error
   */
  constructor(code: BackendErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'BackendError';
  }
}

/** The aggregation server refused an update or could not close a round. */
export class AggregationError extends PrivAdsError {
  declare readonly code: AggregationErrorCode;

  /**
   * @param code - one of {@link AGGREGATION_ERROR_CODES}
   * @param message - what was refused
   * @param options - `cause`: the underlying error
   */
  constructor(code: AggregationErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'AggregationError';
  }
}

/** A secure-aggregation message or request was refused, or a round could not be unmasked. */
export class SecAggError extends PrivAdsError {
  declare readonly code: SecAggErrorCode;

  /**
   * @param code - one of {@link SECAGG_ERROR_CODES}
   * @param message - what was refused, naming the ticket's slot or the peer (never a secret)
   * @param options - `cause`: the underlying error (e.g. the AEAD's authentication failure)
   */
  constructor(code: SecAggErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'SecAggError';
  }
}

/** The content encoder's model is missing/invalid or its input was rejected. */
export class EncoderError extends PrivAdsError {
  declare readonly code: EncoderErrorCode;

  /**
   * @param code - one of {@link ENCODER_ERROR_CODES}
   * @param message - what failed
   * @param options - `cause`: the underlying runtime error
   */
  constructor(code: EncoderErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'EncoderError';
  }
}

/** A data set file is missing or has a malformed line (the message names file and line). */
export class DatasetError extends PrivAdsError {
  declare readonly code: DatasetErrorCode;

  /**
   * @param code - one of {@link DATASET_ERROR_CODES}
   * @param message - `file:line: what was wrong`, or which file is missing
   * @param options - `cause`: the underlying I/O error
   */
  constructor(code: DatasetErrorCode, message: string, options?: PrivAdsErrorOptions) {
    super(code, message, options);
    this.name = 'DatasetError';
  }
}

/** Plain-object form of a {@link PrivAdsError}, safe for JSON and `postMessage`. */
export interface SerializedError {
  /** Class name, e.g. `ProtocolError`. */
  name: string;
  /** Stable code. */
  code: ErrorCode;
  /** Human-readable message. */
  message: string;
}

/**
 * Whether `value` is a {@link PrivAdsError}. Also accepts an `Error` carrying a known `code` from
 * another copy of this package (two bundles in one page make `instanceof` unreliable).
 * @param value - anything caught
 * @returns true for PrivAds errors
 */
export function isPrivAdsError(value: unknown): value is PrivAdsError {
  return (
    value instanceof PrivAdsError ||
    (value instanceof Error && isErrorCode((value as { code?: unknown }).code))
  );
}

/**
 * Turns any thrown value into a {@link SerializedError}. Non-PrivAds errors become code `INTERNAL`
 * (their name and message are kept; nothing else, so no stack or cause leaks across the boundary).
 * @param error - anything caught
 * @returns a plain object
 */
export function serializeError(error: unknown): SerializedError {
  if (isPrivAdsError(error)) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof Error) return { name: error.name, code: 'INTERNAL', message: error.message };
  return { name: 'Error', code: 'INTERNAL', message: String(error) };
}

type ErrorFactory = (code: ErrorCode, message: string) => PrivAdsError;

function areaFactory<C extends ErrorCode>(
  codes: readonly C[],
  make: (code: C, message: string) => PrivAdsError,
): [readonly C[], ErrorFactory] {
  return [codes, (code, message) => make(code as C, message)];
}

const factories: readonly [readonly ErrorCode[], ErrorFactory][] = [
  areaFactory(PROTOCOL_ERROR_CODES, (c, m) => new ProtocolError(c, m)),
  areaFactory(PRIVACY_ERROR_CODES, (c, m) =>
    c === 'PRIVACY_PARAMETER' ? new PrivacyParameterError(m) : new PrivacyError(c, m),
  ),
  areaFactory(STORAGE_ERROR_CODES, (c, m) => new StorageError(c, m)),
  areaFactory(BACKEND_ERROR_CODES, (c, m) => new BackendError(c, m)),
  areaFactory(AGGREGATION_ERROR_CODES, (c, m) => new AggregationError(c, m)),
  areaFactory(SECAGG_ERROR_CODES, (c, m) => new SecAggError(c, m)),
  areaFactory(ENCODER_ERROR_CODES, (c, m) => new EncoderError(c, m)),
  areaFactory(DATASET_ERROR_CODES, (c, m) => new DatasetError(c, m)),
];

/**
 * Rebuilds an error from {@link serializeError}'s output. The class is chosen by the code's area
 * (so `instanceof ProtocolError` works again on the receiving side); an unknown or malformed input
 * yields a `PrivAdsError` with code `INTERNAL` describing it.
 * @param value - a {@link SerializedError}, typically from JSON or `postMessage`
 * @returns the rebuilt error (never throws)
 */
export function deserializeError(value: unknown): PrivAdsError {
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const message = typeof obj.message === 'string' ? obj.message : String(obj.message ?? value);
  const code = obj.code;
  if (!isErrorCode(code)) {
    return new PrivAdsError('INTERNAL', `unrecognised error ${JSON.stringify(code)}: ${message}`);
  }
  const factory = factories.find(([codes]) => codes.includes(code))?.[1];
  const error = factory ? factory(code, message) : new PrivAdsError(code, message);
  if (typeof obj.name === 'string' && obj.name !== '') error.name = obj.name;
  return error;
}
