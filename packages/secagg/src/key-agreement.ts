/**
 * The key-agreement backend contract (X25519, RFC 7748). Two implementations exist — the platform's
 * WebCrypto and `@noble/curves` — and {@link resolveKeyAgreement} picks one; both exchange raw
 * 32-byte keys so keys made by one work with the other.
 */
import { SecAggError } from '@privads/protocol';

import { fromBase64Url } from './bytes.js';

/** An X25519 key pair as raw bytes. */
export interface KeyPair {
  /** The 32-byte little-endian u-coordinate (RFC 7748). */
  readonly publicKey: Uint8Array;
  /** The 32-byte scalar as generated (clamping happens inside `agree`). */
  readonly privateKey: Uint8Array;
}

/** An X25519 implementation. */
export interface KeyAgreement {
  /** Backend name for diagnostics, e.g. `webcrypto` or `noble`. */
  readonly name: string;
  /**
   * Makes a fresh key pair from a CSPRNG.
   * @returns raw public and private keys, 32 bytes each
   */
  generateKeyPair(): Promise<KeyPair>;
  /**
   * X25519(privateRaw, peerPublicRaw).
   * @param privateRaw - own 32-byte private key
   * @param peerPublicRaw - the peer's 32-byte public key
   * @returns the 32-byte shared secret
   * @throws Error when the peer key is invalid or the result is all zero (a low-order point)
   */
  agree(privateRaw: Uint8Array, peerPublicRaw: Uint8Array): Promise<Uint8Array>;
  /**
   * X25519(privateRaw, peer) for every peer, in order: what a device does with all its
   * neighbours' keys. A backend that must import the private key (WebCrypto, where the import
   * costs as much as several agreements) imports it once here.
   * @param privateRaw - own 32-byte private key
   * @param peerPublicRaws - the peers' 32-byte public keys
   * @returns one 32-byte shared secret per peer
   * @throws Error as {@link KeyAgreement.agree}, for the first peer that fails
   */
  agreeEach(privateRaw: Uint8Array, peerPublicRaws: readonly Uint8Array[]): Promise<Uint8Array[]>;
}

/** Length of every X25519 key and shared secret. */
export const X25519_KEY_BYTES = 32;

/** The X25519 base point u = 9: agreeing with it yields one's own public key. */
const BASE_POINT = new Uint8Array(X25519_KEY_BYTES);
BASE_POINT[0] = 9;

/**
 * The public key of a raw private key, computed as X25519(privateRaw, 9) through the backend (the
 * interface has no separate operation for it, and WebCrypto cannot import a bare scalar otherwise).
 * @param keyAgreement - any backend
 * @param privateRaw - 32-byte private key
 * @returns its 32-byte public key
 */
export function publicKeyOf(
  keyAgreement: KeyAgreement,
  privateRaw: Uint8Array,
): Promise<Uint8Array> {
  return keyAgreement.agree(privateRaw, BASE_POINT);
}

/**
 * Decodes a public key of a message: canonical base64url of exactly 32 bytes.
 * @param text - the key as sent
 * @param what - the field's name, for the message
 * @returns the raw key
 * @throws SecAggError `SECAGG_BAD_MESSAGE` for anything else
 */
export function decodePublicKey(text: string, what: string): Uint8Array {
  const key = fromBase64Url(text);
  if (key?.length !== X25519_KEY_BYTES) {
    throw new SecAggError(
      'SECAGG_BAD_MESSAGE',
      `${what} is not ${X25519_KEY_BYTES} bytes of base64url`,
    );
  }
  return key;
}
