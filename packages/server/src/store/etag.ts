/**
 * Entity tags of published files. Versions are immutable, so a content hash is a strong validator
 * that every instance computes identically.
 */
import { createHash } from 'node:crypto';

/**
 * The strong ETag of some bytes.
 * @param bytes - content
 * @returns `"` + base64url SHA-256 + `"`
 */
export function strongEtag(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('base64url')}"`;
}
