/**
 * The masking PRG: a ChaCha20 keystream (RFC 8439) keyed by HKDF-SHA256 of a shared secret or a
 * self-mask seed, read as little-endian 32-bit words reduced to `bits` bits. Each word is exactly
 * uniform mod 2^bits because 2^bits divides 2^32.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { labelled } from './bytes.js';
import { addChaCha20Keystream } from './chacha20-keystream.js';
import { bitMask } from './modular-vector.js';

/** What a mask is for; part of the HKDF info so that one secret never keys two streams. */
export interface MaskContext {
  /** The round id (a non-negative safe integer). */
  readonly roundId: number;
  /** The mask's role, e.g. `self` (seed b) or `pair` (agreed key). */
  readonly purpose: string;
}

/** The HKDF info label of masks; the info is `label ‖ len ‖ roundId (decimal) ‖ len ‖ purpose`. */
export const MASK_INFO_LABEL = 'privads/secagg/v1/mask';

/** Longest mask, in words: far below ChaCha20's 2³² blocks, above any model this runs. */
export const MAX_MASK_LENGTH = 1 << 24;

/**
 * The key of a mask's ChaCha20 stream: HKDF-SHA256 of the secret, bound to round and purpose.
 * @throws RangeError on a key that is not 32 bytes or a bad round id
 */
function streamKeyOf(key32: Uint8Array, context: MaskContext): Uint8Array {
  if (key32.length !== 32) throw new RangeError(`mask key must be 32 bytes, got ${key32.length}`);
  if (!Number.isSafeInteger(context.roundId) || context.roundId < 0) {
    throw new RangeError(`roundId must be a non-negative safe integer, got ${context.roundId}`);
  }
  return hkdf(
    sha256,
    key32,
    undefined,
    labelled(MASK_INFO_LABEL, String(context.roundId), context.purpose),
    32,
  );
}

/**
 * target ← target + sign·mask (mod 2^bits) in place, where mask is {@link expandMask}`(key32,
 * context, target.length, bits)`, without building the mask: what devices and the coordinator do
 * with every mask, in one pass over the keystream.
 * @param target - accumulator, values < 2^bits, 0..{@link MAX_MASK_LENGTH} words
 * @param key32 - 32-byte secret (a shared secret from X25519 or a self-mask seed)
 * @param context - round id and purpose, bound into the stream key by HKDF
 * @param sign - +1 adds the mask, −1 subtracts it
 * @param bits - modulus exponent, 1..32
 * @throws RangeError on a key that is not 32 bytes, a bad round id, target length or bits
 */
export function addMask(
  target: Uint32Array,
  key32: Uint8Array,
  context: MaskContext,
  sign: 1 | -1,
  bits: number,
): void {
  bitMask(bits); // throws on bad bits even for an empty target
  checkLength(target.length);
  // The zero nonce is safe because each stream key is single-use (fresh per round, per purpose
  // and per secret).
  addChaCha20Keystream(streamKeyOf(key32, context), target, sign, bits);
}

/**
 * Expands a 32-byte key into a mask of `length` words below 2^bits.
 * @param key32 - 32-byte secret (a shared secret from X25519 or a self-mask seed)
 * @param context - round id and purpose, bound into the stream key by HKDF
 * @param length - number of words, 0..{@link MAX_MASK_LENGTH}
 * @param bits - modulus exponent, 1..32
 * @returns `length` words, each uniform in [0, 2^bits)
 * @throws RangeError on a key that is not 32 bytes, a bad length or bits
 */
export function expandMask(
  key32: Uint8Array,
  context: MaskContext,
  length: number,
  bits: number,
): Uint32Array {
  checkLength(length);
  const words = new Uint32Array(length);
  addMask(words, key32, context, 1, bits);
  return words;
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > MAX_MASK_LENGTH) {
    throw new RangeError(
      `mask length must be an integer in [0, ${MAX_MASK_LENGTH}], got ${length}`,
    );
  }
}
