/**
 * The few platform APIs this package uses, reached through `globalThis` with local types so the
 * package compiles without DOM or Node typings and runs in browsers, workers and Node alike.
 */

import { PrivAdsError } from './errors.js';

interface Utf8Decoder {
  decode(input: Uint8Array): string;
}
interface Utf8Encoder {
  encode(input: string): Uint8Array;
}
interface RandomSource {
  getRandomValues<T extends Uint8Array | Uint32Array>(array: T): T;
}
interface Platform {
  TextDecoder: new (label: 'utf-8', options: { fatal: boolean; ignoreBOM: boolean }) => Utf8Decoder;
  TextEncoder: new () => Utf8Encoder;
  crypto?: RandomSource;
}

const platform = globalThis as unknown as Platform;

// fatal: invalid UTF-8 must be rejected, not replaced with U+FFFD (two readers could disagree).
// ignoreBOM: a BOM is part of the data, so a header starting with one fails JSON validation.
const decoder = new platform.TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new platform.TextEncoder();

/**
 * Strict UTF-8 decoding.
 * @param bytes - UTF-8 bytes
 * @returns the string
 * @throws TypeError on malformed UTF-8
 */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * UTF-8 encoding.
 * @param text - any string (lone surrogates become U+FFFD)
 * @returns the bytes
 */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Fills `array` from the platform CSPRNG (`crypto.getRandomValues`).
 * @param array - buffer to fill (at most 65 536 bytes per call, as the Web Crypto API requires)
 * @returns the same array
 * @throws PrivAdsError code `INTERNAL` when no CSPRNG exists
 */
export function secureRandomFill<T extends Uint8Array | Uint32Array>(array: T): T {
  const crypto = platform.crypto;
  if (crypto === undefined) {
    throw new PrivAdsError('INTERNAL', 'crypto.getRandomValues is not available on this platform');
  }
  return crypto.getRandomValues(array);
}

/** True on little-endian hosts, where typed-array views read our little-endian formats directly. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
