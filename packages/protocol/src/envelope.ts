/**
 * The framing shared by PrivAds' own binary formats (catalog bundle, update upload):
 *
 * | offset | size | field                                                        |
 * |-------:|-----:|--------------------------------------------------------------|
 * |      0 |    8 | ASCII magic                                                  |
 * |      8 |    2 | u16 LE format version                                        |
 * |     10 |    4 | u32 LE header length N                                       |
 * |     14 |    N | UTF-8 JSON header, right-padded with spaces so 14 + N ≡ 0 (mod 8) |
 * | 14 + N |    … | body                                                         |
 *
 * The padding aligns the body to 8 bytes so typed-array views of it need no copy.
 */
import { ProtocolError } from './errors.js';
import { parseJsonBytes } from './json.js';
import type { ResolvedLimits } from './limits.js';
import { utf8Encode } from './runtime.js';

/** Bytes before the JSON header. */
export const ENVELOPE_PREFIX_BYTES = 14;

/** Identifies one envelope format. */
export interface EnvelopeFormat {
  /** 8 ASCII characters. */
  magic: string;
  /** Versions this build reads. */
  versions: readonly number[];
  /** Format name for error messages. */
  what: string;
}

/** A parsed envelope. */
export interface Envelope {
  /** Format version read from the prefix. */
  version: number;
  /** Parsed (not yet validated) JSON header. */
  header: unknown;
  /** The body (a view into the input, not a copy). */
  body: Uint8Array;
}

/** Rounds `n` up to a multiple of 8. */
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Checks the size cap, prefix, magic and version, then parses the JSON header.
 * @param bytes - the whole input
 * @param format - expected magic and versions
 * @param limits - `maxBytes` and `maxHeaderBytes` are enforced here
 * @returns version, header and body
 * @throws ProtocolError `OVERSIZE`, `TRUNCATED`, `BAD_MAGIC`, `UNSUPPORTED_VERSION`,
 *   `LENGTH_OVERFLOW` (header length beyond the input), `BAD_HEADER`
 */
export function readEnvelope(
  bytes: Uint8Array,
  format: EnvelopeFormat,
  limits: ResolvedLimits,
): Envelope {
  const { what } = format;
  if (bytes.length > limits.maxBytes) {
    throw new ProtocolError(
      'OVERSIZE',
      `${what} is ${bytes.length} bytes, limit is ${limits.maxBytes}`,
    );
  }
  if (bytes.length < ENVELOPE_PREFIX_BYTES) {
    throw new ProtocolError(
      'TRUNCATED',
      `${what} is ${bytes.length} bytes, shorter than its ${ENVELOPE_PREFIX_BYTES}-byte prefix`,
    );
  }
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== format.magic.charCodeAt(i)) {
      throw new ProtocolError(
        'BAD_MAGIC',
        `not a ${what}: magic is not ${JSON.stringify(format.magic)}`,
      );
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (!format.versions.includes(version)) {
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `${what} version ${version} is not supported (supported: ${format.versions.join(', ')})`,
    );
  }
  const headerLength = view.getUint32(10, true);
  const bodyStart = ENVELOPE_PREFIX_BYTES + headerLength;
  if (bodyStart > bytes.length) {
    throw new ProtocolError(
      'LENGTH_OVERFLOW',
      `${what} header length ${headerLength} exceeds the ${bytes.length - ENVELOPE_PREFIX_BYTES} bytes that follow`,
    );
  }
  if (headerLength > limits.maxHeaderBytes) {
    throw new ProtocolError(
      'OVERSIZE',
      `${what} header is ${headerLength} bytes, limit is ${limits.maxHeaderBytes}`,
    );
  }
  if (bodyStart % 8 !== 0) {
    throw new ProtocolError(
      'BAD_HEADER',
      `${what} header length ${headerLength} does not pad the body to 8-byte alignment`,
    );
  }
  const header = parseJsonBytes(bytes.subarray(ENVELOPE_PREFIX_BYTES, bodyStart), `${what} header`);
  return { version, header, body: bytes.subarray(bodyStart) };
}

/**
 * Allocates an envelope with the given header and room for `bodyLength` body bytes.
 * @param magic - 8 ASCII characters
 * @param version - u16 format version
 * @param header - JSON-serialisable header (key order is kept, so output is deterministic)
 * @param bodyLength - body size in bytes
 * @returns the buffer and the offset where the caller writes the body
 */
export function writeEnvelope(
  magic: string,
  version: number,
  header: object,
  bodyLength: number,
): { bytes: Uint8Array; bodyOffset: number } {
  const json = utf8Encode(JSON.stringify(header));
  const bodyOffset = align8(ENVELOPE_PREFIX_BYTES + json.length);
  const bytes = new Uint8Array(bodyOffset + bodyLength);
  for (let i = 0; i < 8; i++) bytes[i] = magic.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  view.setUint16(8, version, true);
  view.setUint32(10, bodyOffset - ENVELOPE_PREFIX_BYTES, true);
  bytes.set(json, ENVELOPE_PREFIX_BYTES);
  bytes.fill(0x20, ENVELOPE_PREFIX_BYTES + json.length, bodyOffset);
  return { bytes, bodyOffset };
}
