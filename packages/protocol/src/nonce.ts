/**
 * Upload nonces: 16 random bytes as unpadded base64url (22 characters). The nonce makes uploads
 * idempotent on the server and, being fresh per upload, links nothing across uploads.
 */
import { secureRandomFill } from './runtime.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The accepted nonce syntax. The last character carries 2 data bits and 4 zero bits, so only
 * `A`, `Q`, `g` or `w` may end a canonical 16-byte encoding.
 */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/**
 * Encodes bytes as unpadded base64url.
 * @param bytes - any bytes
 * @returns base64url text without `=`
 */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const chunk = (b0 << 16) | (b1 << 8) | b2;
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += ALPHABET[(chunk >>> (18 - 6 * k)) & 63];
  }
  return out;
}

const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes unpadded base64url, accepting only the canonical encoding (unused low bits zero), so that
 * one byte string has exactly one text form and a re-encoded message compares equal.
 * @param text - base64url without `=`
 * @returns the bytes, or `undefined` when `text` is not canonical base64url
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] ?? -1) : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/**
 * A fresh nonce from the platform CSPRNG.
 * @returns 22 base64url characters encoding 16 random bytes
 */
export function generateNonce(): string {
  return toBase64Url(secureRandomFill(new Uint8Array(16)));
}

/**
 * Whether `value` is a canonical nonce (see {@link NONCE_PATTERN}).
 * @param value - anything
 * @returns true for a 22-character canonical base64url encoding of 16 bytes
 */
export function isValidNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE_PATTERN.test(value);
}
