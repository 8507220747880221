/**
 * Encryption of the pair of Shamir shares (of s_sk_u and of b_u) that device u sends to neighbour v
 * through the coordinator: ChaCha20-Poly1305 (RFC 8439) under HKDF-SHA256(X25519(c_sk_u, c_pk_v)).
 * The direction u → v is bound into both the key and the associated data, so a ciphertext cannot be
 * replayed as v → u, to another device, or into another round.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SecAggError } from '@privads/protocol';

import { concatBytes, labelled } from './bytes.js';
import { defaultRandomBytes } from './random.js';
import type { RandomBytes } from './random.js';
import { SHARE_BYTES } from './shamir.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Bytes of one encrypted share pair: nonce ‖ two 66-byte share values ‖ tag. */
export const SHARE_CIPHERTEXT_BYTES = NONCE_BYTES + 2 * SHARE_BYTES + TAG_BYTES;

/** Who sends to whom in which round: bound into the key and the associated data. */
export interface ShareEnvelope {
  /** X25519(c_sk_u, c_pk_v) = X25519(c_sk_v, c_pk_u), 32 bytes. */
  readonly sharedSecret: Uint8Array;
  /** The round id. */
  readonly roundId: number;
  /** Sender slot u. */
  readonly from: number;
  /** Recipient slot v. */
  readonly to: number;
}

/** The plaintext: v's shares of u's two secrets, 66 bytes each. */
export interface SharePair {
  /** Share of u's masking private key s_sk_u. */
  readonly maskKeyShare: Uint8Array;
  /** Share of u's self-mask seed b_u. */
  readonly seedShare: Uint8Array;
}

/**
 * Encrypts a share pair. A fresh random nonce is used even though the key is per direction, so a
 * device that re-posts different shares (a retry after a crash) never reuses a nonce.
 * @param envelope - shared secret, round, sender and recipient
 * @param pair - the two encoded share values
 * @param random - nonce source
 * @defaultValue random = the platform CSPRNG
 * @returns {@link SHARE_CIPHERTEXT_BYTES} bytes
 * @throws RangeError when a share is not {@link SHARE_BYTES} bytes
 */
export function encryptSharePair(
  envelope: ShareEnvelope,
  pair: SharePair,
  random: RandomBytes = defaultRandomBytes,
): Uint8Array {
  for (const share of [pair.maskKeyShare, pair.seedShare]) {
    if (share.length !== SHARE_BYTES) {
      throw new RangeError(`share must be ${SHARE_BYTES} bytes, got ${share.length}`);
    }
  }
  const nonce = random(NONCE_BYTES);
  const cipher = chacha20poly1305(shareKey(envelope), nonce, associatedData(envelope));
  return concatBytes(nonce, cipher.encrypt(concatBytes(pair.maskKeyShare, pair.seedShare)));
}

/**
 * Decrypts and authenticates a share pair.
 * @param envelope - the same shared secret, round, sender and recipient as at encryption
 * @param ciphertext - {@link SHARE_CIPHERTEXT_BYTES} bytes
 * @returns the share pair
 * @throws SecAggError `SECAGG_DECRYPTION_FAILED` on a wrong length or a failed authentication
 */
export function decryptSharePair(envelope: ShareEnvelope, ciphertext: Uint8Array): SharePair {
  if (ciphertext.length !== SHARE_CIPHERTEXT_BYTES) {
    throw new SecAggError(
      'SECAGG_DECRYPTION_FAILED',
      `share ciphertext from slot ${envelope.from} must be ${SHARE_CIPHERTEXT_BYTES} bytes, got ${ciphertext.length}`,
    );
  }
  let plain: Uint8Array;
  try {
    const cipher = chacha20poly1305(
      shareKey(envelope),
      ciphertext.subarray(0, NONCE_BYTES),
      associatedData(envelope),
    );
    plain = cipher.decrypt(ciphertext.subarray(NONCE_BYTES));
  } catch (cause) {
    throw new SecAggError(
      'SECAGG_DECRYPTION_FAILED',
      `share ciphertext from slot ${envelope.from} to slot ${envelope.to} failed authentication`,
      { cause },
    );
  }
  return {
    maskKeyShare: plain.slice(0, SHARE_BYTES),
    seedShare: plain.slice(SHARE_BYTES, 2 * SHARE_BYTES),
  };
}

function shareKey(e: ShareEnvelope): Uint8Array {
  if (e.sharedSecret.length !== 32) {
    throw new RangeError(`shared secret must be 32 bytes, got ${e.sharedSecret.length}`);
  }
  return hkdf(
    sha256,
    e.sharedSecret,
    undefined,
    labelled('privads/secagg/v1/share', String(e.roundId), e.from, e.to),
    32,
  );
}

function associatedData(e: ShareEnvelope): Uint8Array {
  return labelled('privads/secagg/v1/share-ad', String(e.roundId), e.from, e.to);
}
