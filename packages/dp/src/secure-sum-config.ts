/**
 * The secure-sum encoding a distributed round config describes. Server and devices both derive it
 * from the config they share, so they agree on the rotation, the grid and the noise bit for bit.
 */
import {
  PrivacyParameterError,
  fromBase64Url,
  updateNormBound,
  updateVectorLength,
  type RoundConfig,
} from '@privads/protocol';

import { validateSecureSumEncoding, type SecureSumEncoding } from './secure-sum-encoding.js';

/**
 * The encoding of a distributed round.
 * @param config - a validated round config in `distributed` mode
 * @returns the validated encoding
 * @throws PrivacyParameterError for a round in another mode or whose parameters do not form a
 *   valid encoding
 */
export function secureSumEncodingOf(config: RoundConfig): SecureSumEncoding {
  const privacy = config.privacy;
  if (privacy.mode !== 'distributed') {
    throw new PrivacyParameterError(
      `round ${config.roundId} is in ${privacy.mode} mode, not distributed`,
    );
  }
  const rotationSeed = fromBase64Url(privacy.rotationSeed);
  if (rotationSeed === undefined) {
    throw new PrivacyParameterError(`round ${config.roundId} has a malformed rotationSeed`);
  }
  try {
    return validateSecureSumEncoding({
      // The gradient and, when the round asks for them, the per-ad counts appended to it.
      clipNorm: updateNormBound(config),
      dimension: updateVectorLength(config),
      paddedDimension: privacy.paddedDimension,
      rotationSeed,
      granularity: privacy.granularity,
      bits: privacy.bits,
      deviceSigma: privacy.deviceSigma,
      beta: privacy.beta,
    });
  } catch (error) {
    throw new PrivacyParameterError(
      `round ${config.roundId} does not describe a valid secure-sum encoding: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
