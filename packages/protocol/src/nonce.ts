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
