/**
 * The close of a distributed round: from the modular sum of the masked inputs the store kept, the
 * coordinator removes the masks (reconstructing the secrets of dropped and surviving devices), and
 * the unmasked sum — already noised by the devices' discrete Gaussian shares — is de-quantized and
 * rotated back. Nothing here ever holds one device's unmasked vector.
 */
import { dequantizeSecureSum, secureSumEncodingOf, type SecureSumEncoding } from '@privads/dp';
import { SecAggError, type RoundConfig } from '@privads/protocol';

import type { RoundAccumulator } from './aggregator.js';
import type { SecureRound } from './secure-round.js';

/** A distributed round's released sum and what it costs. */
export interface SecureRelease {
  /** The noised sum of the survivors' updates, in update units (length: the update vector, gradient then per-ad counts). */
  readonly sum: Float64Array;
  /** Noise shares in the sum: the devices whose input was unmasked. */
  readonly devices: number;
  /** Standard deviation of the sum's noise per coordinate, in update units. */
  readonly sigma: number;
}

/**
 * The sum mod 2^bits of the accumulated masked words (exact integers, far below 2^53).
 * @param totals - the round's accumulator of masked uploads
 * @param bits - the modulus exponent
 * @returns the modular sum
 */
export function modularSum(totals: RoundAccumulator, bits: number): Uint32Array {
  const modulus = 2 ** bits;
  return Uint32Array.from(totals.sum(), (x) => ((x % modulus) + modulus) % modulus);
}

/**
 * Unmasks and decodes a distributed round, or says why it cannot release.
 * @param round - the round's config (distributed mode)
 * @param totals - count and sum of the masked inputs the store accepted
 * @param secure - the round's coordinator (absent after a restart)
 * @param now - epoch ms
 * @returns the release, or the reason nothing is released
 * @throws whatever the coordinator throws besides a reconstruction failure (a bug: nothing is committed)
 */
export async function secureRelease(
  round: RoundConfig,
  totals: RoundAccumulator,
  secure: SecureRound | undefined,
  now: number,
): Promise<SecureRelease | { failed: string }> {
  const privacy = round.privacy;
  if (privacy.mode !== 'distributed')
    throw new RangeError(`round ${round.roundId} is not distributed`);
  if (secure === undefined) {
    return { failed: 'the coordinator state was lost (server restart): the round is aborted' };
  }
  const outcome = secure.advance(now);
  if (outcome !== 'releasable') {
    return {
      failed:
        secure.abortReason ?? `the protocol did not finish (phase ${secure.coordinator.phase})`,
    };
  }
  const inputs = secure.coordinator.inputSlots.length;
  if (inputs !== totals.count) {
    return { failed: `the store holds ${totals.count} masked inputs, the coordinator ${inputs}` };
  }
  let unmasked: Uint32Array;
  try {
    unmasked = await secure.coordinator.finish(modularSum(totals, privacy.bits));
  } catch (error) {
    if (error instanceof SecAggError) return { failed: error.message };
    throw error;
  }
  const encoding: SecureSumEncoding = secureSumEncodingOf(round);
  return {
    sum: dequantizeSecureSum(unmasked, encoding),
    devices: inputs,
    sigma: encoding.granularity * encoding.deviceSigma * Math.sqrt(inputs),
  };
}
