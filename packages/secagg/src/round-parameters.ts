/** Validation of the public parameters that device and coordinator of one round share. */
import { bitMask } from './modular-vector.js';
import { MAX_MASK_LENGTH } from './mask-prg.js';

/** Public parameters of a masking round, identical on every device and the coordinator. */
export interface MaskingParameters {
  /** The round id (non-negative safe integer): bound into every mask and ciphertext. */
  readonly roundId: number;
  /** Inputs and masks live in Z_{2^bits}, 1 ≤ bits ≤ 32. */
  readonly bits: number;
  /** Words per input vector, 1..2^24. */
  readonly length: number;
  /** t: shares needed to reconstruct a secret, ≥ 2. */
  readonly threshold: number;
}

/**
 * Checks {@link MaskingParameters}.
 * @param p - the parameters
 * @throws RangeError quoting the first bad value
 */
export function checkMaskingParameters(p: MaskingParameters): void {
  if (!Number.isSafeInteger(p.roundId) || p.roundId < 0) {
    throw new RangeError(`roundId must be a non-negative safe integer, got ${p.roundId}`);
  }
  bitMask(p.bits);
  if (!Number.isInteger(p.length) || p.length < 1 || p.length > MAX_MASK_LENGTH) {
    throw new RangeError(`length must be an integer in [1, ${MAX_MASK_LENGTH}], got ${p.length}`);
  }
  // t = 1 would hand each neighbour a device's secrets in the clear.
  if (!Number.isInteger(p.threshold) || p.threshold < 2) {
    throw new RangeError(`threshold must be an integer ≥ 2, got ${p.threshold}`);
  }
}

/** Mask purposes: the HKDF info keeps the self mask and the pairwise masks independent. */
export const SELF_MASK = 'self';
/** Purpose of pairwise masks. */
export const PAIR_MASK = 'pair';
