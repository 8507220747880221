/**
 * The update upload: the only vector a device sends, at most once per round. Envelope (see
 * `envelope.ts`) with magic `PRVUPDAT`, version 1, a JSON header of exactly
 * `{ roundId, projectorVersion, nonce, encoding, length, scale? }`, then `length` little-endian
 * elements (f32, f16 bits, int8 with `scale`, or — in distributed mode — `masked`: uint32 words,
 * each below the round's modulus 2^bits, of a secure-aggregation masked vector). Nothing else may
 * be in the header: the privacy audit relies on the decoder rejecting any other field.
 */
import { ProtocolError } from './errors.js';
import { align8, ENVELOPE_PREFIX_BYTES, readEnvelope, writeEnvelope } from './envelope.js';
import { float16ToFloat32Array } from './f16.js';
import { assertFinite, toFiniteFloat16 } from './finite.js';
import { FieldReader } from './json.js';
import { UPDATE_DEFAULT_LIMITS, resolveLimits } from './limits.js';
import { NONCE_PATTERN, generateNonce } from './nonce.js';
import { dequantizeInt8, stochasticQuantizeInt8, type UniformRandom } from './quantize.js';
import { readLE, viewLE, writeLE } from './typed-bytes.js';
import { orOfWords } from './words-or.js';

/** ASCII magic of an update upload. */
export const UPDATE_MAGIC = 'PRVUPDAT';
/** Current update format version. */
export const UPDATE_FORMAT_VERSION = 1;

/** Vector encodings of an upload. */
export const UPDATE_ENCODINGS = ['f32', 'f16', 'int8'] as const;
/** `f32`: exact; `f16`: half precision (round to nearest even); `int8`: stochastic rounding with a scale. */
export type UpdateEncoding = (typeof UPDATE_ENCODINGS)[number];

/** Every encoding an upload may carry: the float ones, and `masked` words of the distributed mode. */
export const UPLOAD_ENCODINGS = [...UPDATE_ENCODINGS, 'masked'] as const;
/** An encoding of {@link UPLOAD_ENCODINGS}. */
export type UploadEncoding = (typeof UPLOAD_ENCODINGS)[number];

const BYTES_PER_ELEMENT: Record<UploadEncoding, number> = { f32: 4, f16: 2, int8: 1, masked: 4 };

/** The JSON header of an upload — the complete list of what leaves the device besides the vector. */
export interface UpdateHeader {
  /** Round this update belongs to (integer ≥ 0). */
  roundId: number;
  /** Projector version the gradient was computed against (integer ≥ 0). */
  projectorVersion: number;
  /** Fresh per upload: base64url of 16 random bytes (idempotency key). */
  nonce: string;
  /** Vector encoding. */
  encoding: UploadEncoding;
  /** Number of vector entries (the model's parameter count; the padded dimension when `masked`). */
  length: number;
  /** Dequantisation scale; present exactly when `encoding` is `int8` (finite, ≥ 0). */
  scale?: number;
}

/** What the client uploads: a clipped, noised gradient for one round. */
export interface ModelUpdate {
  /** Round id from the round config. */
  roundId: number;
  /** Projector version from the round config. */
  projectorVersion: number;
  /** The flattened update (finite values). */
  vector: Float32Array;
}

/** Options of {@link encodeUpdate}. */
export interface EncodeUpdateOptions {
  /** Vector encoding; must be one the round config accepts. */
  encoding: UpdateEncoding;
  /**
   * Idempotency nonce; reuse the same nonce when retrying the same upload.
   * @defaultValue a fresh {@link generateNonce}()
   */
  nonce?: string;
  /**
   * Uniform [0, 1) source for int8 stochastic rounding.
   * @defaultValue a CSPRNG-backed source
   */
  random?: UniformRandom;
}

/** Options of {@link decodeUpdate}. */
export interface DecodeUpdateOptions {
  /** Required vector length (the round's parameter count); mismatch is `DIM_MISMATCH`. */
  expectedLength?: number;
  /**
   * Largest accepted upload in bytes, checked before parsing.
   * @defaultValue 8 MiB
   */
  maxBytes?: number;
  /**
   * Largest accepted vector length.
   * @defaultValue 1 048 576
   */
  maxDim?: number;
}

/** A decoded upload. */
export interface DecodedUpdate {
  /** The validated header. */
  header: UpdateHeader;
  /** The vector, dequantised to float32 (finite). */
  vector: Float32Array;
}

// Longest JSON of a header: safe integers have ≤ 16 digits, a float64 scale ≤ 24 characters.
const MAX_HEADER_JSON_BYTES =
  '{"roundId":,"projectorVersion":,"nonce":"","encoding":"int8","length":,"scale":}'.length +
  16 * 3 +
  22 +
  24;

/**
 * Upper bound of the encoded size of an upload, for sizing `maxUploadBytes`.
 * @param length - vector length
 * @param encoding - vector encoding
 * @returns bytes that any upload of this length and encoding fits in
 */
export function maxUpdateBytes(length: number, encoding: UploadEncoding): number {
  return (
    align8(ENVELOPE_PREFIX_BYTES + MAX_HEADER_JSON_BYTES) + length * BYTES_PER_ELEMENT[encoding]
  );
}

function checkHeaderIds(roundId: number, projectorVersion: number): void {
  for (const [name, value] of [
    ['roundId', roundId],
    ['projectorVersion', projectorVersion],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ProtocolError(
        'OUT_OF_RANGE',
        `update ${name} must be an integer >= 0, got ${value}`,
      );
    }
  }
}

/**
 * Encodes one update for upload.
 * @param update - round id, projector version and the finite vector
 * @param options - encoding, nonce, random source
 * @returns the upload bytes
 * @throws ProtocolError `NON_FINITE` on NaN/±Infinity (including f16 overflow beyond ±65504),
 *   `OUT_OF_RANGE` for negative or non-integer ids, `BAD_HEADER` for a malformed nonce
 * @throws RangeError for an unknown encoding
 */
export function encodeUpdate(update: ModelUpdate, options: EncodeUpdateOptions): Uint8Array {
  const { encoding } = options;
  if (!UPDATE_ENCODINGS.includes(encoding)) {
    throw new RangeError(
      `encoding must be one of ${UPDATE_ENCODINGS.join(', ')}, got ${String(encoding)}`,
    );
  }
  const nonce = options.nonce ?? generateNonce();
  checkNonce(nonce);
  checkHeaderIds(update.roundId, update.projectorVersion);
  const { vector } = update;
  assertFinite(vector, 'update vector');

  let payload: Float32Array | Uint16Array | Int8Array = vector;
  let scale: number | undefined;
  if (encoding === 'f16') {
    payload = toFiniteFloat16(vector, 'update vector');
  } else if (encoding === 'int8') {
    ({ values: payload, scale } = stochasticQuantizeInt8(vector, options.random));
  }
  return writeUpload(
    {
      roundId: update.roundId,
      projectorVersion: update.projectorVersion,
      nonce,
      encoding,
      length: vector.length,
      ...(scale === undefined ? {} : { scale }),
    },
    payload,
  );
}

function checkNonce(nonce: string): void {
  if (!NONCE_PATTERN.test(nonce)) {
    throw new ProtocolError(
      'BAD_HEADER',
      `nonce must be base64url of 16 bytes, got ${JSON.stringify(nonce)}`,
    );
  }
}

function writeUpload(
  header: UpdateHeader,
  payload: Float32Array | Uint16Array | Int8Array | Uint32Array,
): Uint8Array {
  const { bytes, bodyOffset } = writeEnvelope(
    UPDATE_MAGIC,
    UPDATE_FORMAT_VERSION,
    header,
    payload.byteLength,
  );
  writeLE(bytes, bodyOffset, payload);
  return bytes;
}

/** A masked vector of the distributed mode, as a device uploads it. */
export interface MaskedUpdate {
  /** Round id from the round config. */
  roundId: number;
  /** Projector version from the round config. */
  projectorVersion: number;
  /** The device's round ticket (it identifies the device's secure-aggregation slot to the server). */
  nonce: string;
  /** Masked words, each below 2^bits. */
  words: Uint32Array;
}

function checkWords(words: Uint32Array, bits: number): void {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 32)) {
    throw new RangeError(`bits must be an integer in [1, 32], got ${bits}`);
  }
  if (bits === 32) return;
  // One pass without a branch per word; the offending word is only looked for once the OR says
  // there is one.
  if (orOfWords(words) >>> bits === 0) return;
  const limit = 2 ** bits;
  const at = words.findIndex((w) => w >= limit);
  throw new ProtocolError(
    'OUT_OF_RANGE',
    `masked word ${at} is ${words[at]}, not below the modulus 2^${bits}`,
  );
}

/**
 * Encodes the masked upload of the distributed mode.
 * @param update - round, projector version, ticket and the masked words
 * @param bits - the round's modulus exponent (every word must be below 2^bits)
 * @returns the upload bytes
 * @throws ProtocolError `BAD_HEADER` for a malformed nonce, `OUT_OF_RANGE` for a word ≥ 2^bits or
 *   bad ids
 */
export function encodeMaskedUpdate(update: MaskedUpdate, bits: number): Uint8Array {
  checkNonce(update.nonce);
  checkHeaderIds(update.roundId, update.projectorVersion);
  checkWords(update.words, bits);
  return writeUpload(
    {
      roundId: update.roundId,
      projectorVersion: update.projectorVersion,
      nonce: update.nonce,
      encoding: 'masked',
      length: update.words.length,
    },
    update.words,
  );
}

function readUpdateHeader(value: unknown, maxDim: number): UpdateHeader {
  const r = new FieldReader(value, 'update header');
  const roundId = r.integer('roundId', { min: 0 });
  const projectorVersion = r.integer('projectorVersion', { min: 0 });
  const nonce = r.string('nonce', { pattern: NONCE_PATTERN });
  const encoding = r.literal('encoding', UPLOAD_ENCODINGS);
  const length = r.integer('length', { min: 0 });
  if (length > maxDim)
    throw new ProtocolError('OVERSIZE', `update length ${length} exceeds the limit ${maxDim}`);
  const scale = r.optional('scale', (k) => r.number(k, { min: 0 }));
  if ((encoding === 'int8') !== (scale !== undefined)) {
    r.fail('scale', encoding === 'int8' ? 'present for int8' : `absent for ${encoding}`, scale);
  }
  r.done();
  return {
    roundId,
    projectorVersion,
    nonce,
    encoding,
    length,
    ...(scale === undefined ? {} : { scale }),
  };
}

/** The validated header and raw body of an upload, before its elements are read. */
function readUpload(
  bytes: Uint8Array,
  options: DecodeUpdateOptions,
): { header: UpdateHeader; body: Uint8Array } {
  const limits = resolveLimits(
    { maxBytes: options.maxBytes, maxDim: options.maxDim },
    UPDATE_DEFAULT_LIMITS,
  );
  const envelope = readEnvelope(
    bytes,
    { magic: UPDATE_MAGIC, versions: [UPDATE_FORMAT_VERSION], what: 'update' },
    limits,
  );
  const header = readUpdateHeader(envelope.header, limits.maxDim);
  if (options.expectedLength !== undefined && header.length !== options.expectedLength) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `update length ${header.length}, expected ${options.expectedLength}`,
    );
  }
  const { body } = envelope;
  const needed = header.length * BYTES_PER_ELEMENT[header.encoding];
  if (body.length < needed)
    throw new ProtocolError('TRUNCATED', `update body is ${body.length} bytes, needs ${needed}`);
  if (body.length > needed)
    throw new ProtocolError(
      'TRAILING_BYTES',
      `update body is ${body.length} bytes, expected ${needed}`,
    );
  return { header, body };
}

/**
 * Decodes and validates a float upload (`f32`, `f16`, `int8`). The size cap is checked before
 * anything is parsed, and the vector is only allocated once its length is known to match the
 * bytes present.
 * @param bytes - the request body
 * @param options - expected length and limits
 * @returns the header and the float32 vector
 * @throws ProtocolError `OVERSIZE`, `TRUNCATED`, `TRAILING_BYTES`, `BAD_MAGIC`,
 *   `UNSUPPORTED_VERSION`, `LENGTH_OVERFLOW`, `BAD_HEADER` (including any field besides
 *   roundId/projectorVersion/nonce/encoding/length/scale, and a `masked` upload: see
 *   {@link decodeMaskedUpdate}), `OUT_OF_RANGE`, `DIM_MISMATCH`, `NON_FINITE`
 */
export function decodeUpdate(bytes: Uint8Array, options: DecodeUpdateOptions = {}): DecodedUpdate {
  const { header, body } = readUpload(bytes, options);
  let vector: Float32Array;
  if (header.encoding === 'f32') {
    vector = readLE(Float32Array, body, 0, header.length);
  } else if (header.encoding === 'f16') {
    vector = float16ToFloat32Array(viewLE(Uint16Array, body, 0, header.length));
  } else if (header.encoding === 'int8') {
    const values = viewLE(Int8Array, body, 0, header.length);
    if (values.includes(-128)) {
      throw new ProtocolError('OUT_OF_RANGE', 'update int8 values must lie in [-127, 127]');
    }
    vector = dequantizeInt8(values, header.scale ?? 0);
  } else {
    throw new ProtocolError(
      'BAD_HEADER',
      'a masked upload carries no float vector: decode it with decodeMaskedUpdate',
    );
  }
  assertFinite(vector, 'update vector');
  return { header, vector };
}

/**
 * Decodes and validates the masked upload of the distributed mode.
 * @param bytes - the request body
 * @param options - expected length (the padded dimension), limits, and the modulus exponent `bits`
 * @returns the header and the masked words (a view of `bytes` where its alignment allows: read
 *   them before `bytes` is written again)
 * @throws ProtocolError as {@link decodeUpdate}, `BAD_HEADER` for a float encoding, and
 *   `OUT_OF_RANGE` for a word ≥ 2^bits
 */
export function decodeMaskedUpdate(
  bytes: Uint8Array,
  options: DecodeUpdateOptions & { bits: number },
): { header: UpdateHeader; words: Uint32Array } {
  const { header, body } = readUpload(bytes, options);
  if (header.encoding !== 'masked') {
    throw new ProtocolError(
      'BAD_HEADER',
      `this round takes masked uploads only, got encoding ${header.encoding}`,
    );
  }
  const words = viewLE(Uint32Array, body, 0, header.length);
  checkWords(words, options.bits);
  return { header, words };
}
