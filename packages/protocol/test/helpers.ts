import fc from 'fast-check';
import { expect } from 'vitest';
import { ProtocolError, type ProtocolErrorCode } from '@privads/protocol';

/** Runs `fn` and returns the ProtocolError it throws (fails the test for anything else). */
export function protocolErrorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

/** Asserts that `fn` throws a ProtocolError with `code`. */
export function expectCode(fn: () => unknown, code: ProtocolErrorCode): ProtocolError {
  const error = protocolErrorOf(fn);
  expect(error.code, error.message).toBe(code);
  return error;
}

/** Decoding `bytes` either succeeds or throws a ProtocolError whose code is in `allowed`. */
export function expectCleanOutcome(
  decode: (bytes: Uint8Array) => unknown,
  bytes: Uint8Array,
  allowed: readonly ProtocolErrorCode[],
): 'ok' | ProtocolErrorCode {
  try {
    decode(bytes);
    return 'ok';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    expect(allowed).toContain(error.code);
    return error.code;
  }
}

/** A mutation of a valid encoding: flip bytes, truncate, extend, or overwrite a u32. */
export function mutationArbitrary(length: number): fc.Arbitrary<(bytes: Uint8Array) => Uint8Array> {
  const index = fc.nat({ max: Math.max(0, length - 1) });
  return fc.oneof(
    fc
      .array(fc.tuple(index, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((flips) => (bytes: Uint8Array) => {
        const out = bytes.slice();
        for (const [i, x] of flips) out[i] = (out[i] ?? 0) ^ x;
        return out;
      }),
    fc.nat({ max: length }).map((n) => (bytes: Uint8Array) => bytes.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => (bytes: Uint8Array) => {
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return out;
    }),
    fc
      .tuple(index, fc.constantFrom(0, 0xffffffff, 0x7fffffff, 0x80000000, 1))
      .map(([i, v]) => (bytes: Uint8Array) => {
        const out = bytes.slice();
        const at = Math.min(i, Math.max(0, out.length - 4));
        if (out.length >= 4) new DataView(out.buffer).setUint32(at, v, true);
        return out;
      }),
  );
}

/** Every truncation of `bytes` (all lengths below its own) is rejected with an allowed code. */
export function expectEveryTruncationRejected(
  decode: (bytes: Uint8Array) => unknown,
  bytes: Uint8Array,
  allowed: readonly ProtocolErrorCode[],
): Set<string> {
  const seen = new Set<string>();
  for (let n = 0; n < bytes.length; n++) {
    const outcome = expectCleanOutcome(decode, bytes.subarray(0, n), allowed);
    expect(outcome, `truncated to ${n} bytes`).not.toBe('ok');
    seen.add(outcome);
  }
  return seen;
}

/** Writes ASCII/UTF-8 text into a byte array at `offset`. */
export function writeText(target: Uint8Array, offset: number, text: string): void {
  target.set(new TextEncoder().encode(text), offset);
}

/** Finite float32 arrays. */
export const float32Array = (options: { minLength?: number; maxLength?: number } = {}) =>
  fc.float32Array({ noDefaultInfinity: true, noNaN: true, ...options });

/** Every code a decoder of an envelope with checksummed sections (catalog bundle, PQ index) may throw. */
export const SECTIONED_FORMAT_CODES: readonly ProtocolErrorCode[] = [
  'OVERSIZE',
  'TRUNCATED',
  'TRAILING_BYTES',
  'BAD_MAGIC',
  'UNSUPPORTED_VERSION',
  'LENGTH_OVERFLOW',
  'BAD_HEADER',
  'DIM_MISMATCH',
  'CHECKSUM_MISMATCH',
  'NON_FINITE',
  'OUT_OF_RANGE',
];
