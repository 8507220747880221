/**
 * Validation of one upload against its round, and the contribution it adds to the sum.
 *
 * Norm bound: an honest client clips to C (and in `local` mode rounds to the grid σ·2^-20 and adds
 * discrete Gaussian noise of variance ≤ σ² per coordinate), then encodes. The server accepts a norm
 * up to what that can produce — C (in `local` mode the rounded bound C + g√d of `localNormBound`,
 * the same rule σ is calibrated with, plus the noise's high-probability bound σ(√d + 10)), plus the worst-case encoding error (f16:
 * relative 2⁻¹¹ and 2⁻²⁵ per subnormal coordinate; int8: one scale step per coordinate) — and
 * refuses anything above (422). Whatever it accepts it then clips again to exactly the bound that
 * the privacy analysis assumes (C for `central`), with `clipByL2Norm` of `@privads/dp`, so that
 * quantisation error can never raise a device's sensitivity. That re-clip is deterministic, which
 * makes a replay after a crash add exactly the same integers.
 *
 * With per-ad counts the vector is the gradient followed by the counts segment, and every C above
 * is the joint bound B = √(C² + (s√(i² + c²))²) of `updateNormBound`: the sensitivity the round is
 * priced with. The adaptive-clipping statistic looks at the gradient part alone.
 */
import { clipByL2Norm, globalL2Norm, localNormBound } from '@privads/dp';
import {
  AggregationError,
  ProtocolError,
  decodeMaskedUpdate,
  decodeUpdate,
  updateNormBound,
  updateVectorLength,
  type DecodedUpdate,
  type RoundConfig,
  type UpdateHeader,
} from '@privads/protocol';

import { FRACTION_BITS } from './aggregator.js';
import type { Contribution } from '../store/store.js';

/** Relative slack for float32 rounding in the client's own clip. */
const F32_SLACK = 1e-6;
/** A norm below C·(1 − this) counts as "not clipped" for adaptive clipping. */
const BELOW_CLIP_MARGIN = 1e-3;
/** Standard deviations of slack in the local-noise norm bound (failure probability < e^-50). */
const NOISE_TAIL = 10;

/**
 * The largest L2 norm an honest client's upload can have in this round.
 * @param config - the round
 * @param header - the upload's header (encoding, length, scale)
 * @returns the bound
 */
export function uploadNormBound(config: RoundConfig, header: UpdateHeader): number {
  const d = header.length;
  const rootD = Math.sqrt(d);
  const privacy = config.privacy;
  const bound = updateNormBound(config);
  const base =
    privacy.mode === 'local'
      ? localNormBound(bound, privacy.sigma, d) + privacy.sigma * (rootD + NOISE_TAIL)
      : bound;
  let encodingError = 0;
  if (header.encoding === 'f16') encodingError = base * 2 ** -11 + rootD * 2 ** -25;
  else if (header.encoding === 'int8') encodingError = (header.scale ?? 0) * rootD;
  return (base + encodingError) * (1 + F32_SLACK);
}

/**
 * The norm the server clips every contribution to: C in `central` and `none` modes (less the
 * fixed-point rounding margin, so the integer sum's sensitivity stays ≤ C); the honest-upload
 * bound in `local` mode, where clipping only limits a malicious device's influence.
 * @param config - the round
 * @param header - the upload's header
 * @returns the clip target
 */
export function contributionClipNorm(config: RoundConfig, header: UpdateHeader): number {
  if (config.privacy.mode === 'local') return uploadNormBound(config, header);
  const bound = updateNormBound(config);
  const roundingMargin = Math.sqrt(header.length) * 2 ** -(FRACTION_BITS + 1);
  return Math.max(bound - roundingMargin, bound / 2);
}

/** Clips a decoded upload; the clip's own norm pass also yields the norm as received. */
function contributionOfDecoded(
  config: RoundConfig,
  decoded: DecodedUpdate,
): { contribution: Contribution; norm: number } {
  const clipped = clipByL2Norm(decoded.vector, contributionClipNorm(config, decoded.header));
  const norm = clipped.norm;
  const gradientNorm = config.counts
    ? globalL2Norm([decoded.vector.subarray(0, config.model.parameterCount)])
    : norm;
  const belowClip =
    config.privacy.mode !== 'local' && gradientNorm < config.clipNorm * (1 - BELOW_CLIP_MARGIN);
  return { contribution: { vector: clipped.values, belowClip }, norm };
}

/** The header checks every upload shares: the round it names, the encoding, the projector. */
function checkHeader(config: RoundConfig, header: UpdateHeader): void {
  if (header.roundId !== config.roundId) {
    throw new ProtocolError(
      'BAD_HEADER',
      `upload is for round ${header.roundId}, posted to round ${config.roundId}`,
    );
  }
  if (!config.acceptedEncodings.includes(header.encoding)) {
    throw new ProtocolError(
      'BAD_HEADER',
      `encoding ${header.encoding} is not accepted this round (accepted: ${config.acceptedEncodings.join(', ')})`,
    );
  }
  if (header.projectorVersion !== config.projectorVersion) {
    throw new AggregationError(
      'AGGREGATION_STALE_ROUND',
      `upload was computed against projector ${header.projectorVersion}; round ${config.roundId} trains ${config.projectorVersion}`,
    );
  }
}

/**
 * A masked upload of a distributed round: its words go into the sum as they are (the server
 * cannot and need not look inside; the modular sum is taken at the close). Deterministic.
 */
function maskedContribution(
  config: RoundConfig,
  body: Uint8Array,
): { header: UpdateHeader; contribution: Contribution } {
  const privacy = config.privacy;
  if (privacy.mode !== 'distributed') {
    throw new RangeError(`round ${config.roundId} is not distributed`);
  }
  const { header, words } = decodeMaskedUpdate(body, {
    expectedLength: privacy.paddedDimension,
    maxBytes: config.maxUploadBytes,
    maxDim: privacy.paddedDimension,
    bits: privacy.bits,
  });
  return { header, contribution: { vector: words, belowClip: false } };
}

/**
 * Decodes and checks an upload for a round.
 * @param config - the open round
 * @param body - the request body
 * @returns the header, what the upload adds, and its L2 norm as received (none for a masked upload)
 * @throws ProtocolError (400/413/422 family) for a malformed body, a body for another round, an
 *   encoding the round does not accept, or a norm above {@link uploadNormBound} (`OUT_OF_RANGE`)
 * @throws AggregationError `AGGREGATION_STALE_ROUND` when it was computed against another projector
 */
export function validateUpload(
  config: RoundConfig,
  body: Uint8Array,
): { header: UpdateHeader; contribution: Contribution; norm: number | undefined } {
  if (config.privacy.mode === 'distributed') {
    const masked = maskedContribution(config, body);
    checkHeader(config, masked.header);
    // A masked vector's norm says nothing (it is uniform noise to the server): not recorded.
    return { ...masked, norm: undefined };
  }
  const decoded = decodeUpdate(body, {
    expectedLength: updateVectorLength(config),
    maxBytes: config.maxUploadBytes,
  });
  const { header } = decoded;
  checkHeader(config, header);
  // Clipped before the bound check: the clip computes the norm anyway (one pass instead of two).
  const { contribution, norm } = contributionOfDecoded(config, decoded);
  const bound = uploadNormBound(config, header);
  if (!(norm <= bound)) {
    throw new ProtocolError(
      'OUT_OF_RANGE',
      `update norm ${norm} exceeds the bound ${bound} of this round`,
    );
  }
  return { header, contribution, norm };
}

/**
 * Recomputes the contribution of an upload that was accepted before (log replay, folding stored
 * bodies). Deterministic, and never refuses a body that {@link validateUpload} accepted.
 * @param config - the round it was accepted into
 * @param body - the stored upload bytes
 * @returns what it adds
 * @throws ProtocolError only for bytes that were never a valid upload (a corrupt store)
 */
export function contributionOf(config: RoundConfig, body: Uint8Array): Contribution {
  if (config.privacy.mode === 'distributed') return maskedContribution(config, body).contribution;
  const decoded = decodeUpdate(body, {
    expectedLength: updateVectorLength(config),
    maxBytes: config.maxUploadBytes,
  });
  return contributionOfDecoded(config, decoded).contribution;
}
