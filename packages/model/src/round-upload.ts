/**
 * What a device sends for a round, from its summed projector gradient: clip to the round's norm,
 * in local mode round to the noise grid and add exact discrete Gaussian noise (`randomizeLocally`
 * of `@privads/dp`, which also defines the norm bound the server checks), encode. One implementation serves the browser client
 * and the simulator, so a simulated upload is byte-for-byte the kind a browser makes.
 *
 * A separate entry point (`@privads/model/round-upload`) without tfjs, so the client's worker can
 * use it before (or without) loading the projector runtime.
 */
import { randomizeLocally, uniform53 } from '@privads/dp';
import type { RandomSource } from '@privads/dp';
import { decodeUpdate, encodeUpdate, updateNormBound } from '@privads/protocol';
import type { RoundConfig, UpdateEncoding } from '@privads/protocol';

import { roundUpdateVector, type DeviceAdCounts } from './round-vector.js';

export { noAdCounts, roundUpdateVector } from './round-vector.js';
export type { DeviceAdCounts, RoundVector, RoundVectorConfig } from './round-vector.js';

/** Attempts at shrinking a vector whose encoding rounded it past the clip norm. */
const NORM_REPAIR_ATTEMPTS = 8;

/** The parts of a round config an upload depends on. */
export type RoundUploadConfig = Pick<
  RoundConfig,
  'roundId' | 'projectorVersion' | 'clipNorm' | 'privacy' | 'counts'
> &
  Partial<Pick<RoundConfig, 'model'>>;

/** Options of {@link privatizeRoundUpdate}. */
export interface RoundUploadOptions {
  /** Wire encoding of the vector (one the round accepts). */
  readonly encoding: UpdateEncoding;
  /**
   * Randomness of the local-mode noise and of int8 stochastic rounding.
   * @defaultValue the CSPRNG (`crypto.getRandomValues`); seeded sources are for simulations only
   */
  readonly source?: RandomSource;
  /**
   * The device's impressions and clicks per ad this round, when the round asks for counts
   * (bounded and appended by {@link roundUpdateVector}).
   * @defaultValue none seen
   */
  readonly counts?: DeviceAdCounts;
}

/** An encoded round update and what went into it. */
export interface RoundUpload {
  /** The update-upload bytes to POST. */
  readonly body: Uint8Array;
  /** ‖g‖₂ before clipping (stays on the device; for debugging and simulation statistics). */
  readonly preClipNorm: number;
  /** ‖clip(g, C)‖₂, before noise. */
  readonly clippedNorm: number;
  /**
   * σ of the discrete Gaussian noise the device added per coordinate, on the grid σ·2^-20 (0 unless
   * the round is in local mode).
   */
  readonly sigma: number;
}

function l2Norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] as number) ** 2;
  return Math.sqrt(sum);
}

/**
 * Clips the round gradient to `config.clipNorm` and appends the device's bounded per-ad counts when
 * the round asks for them ({@link roundUpdateVector}); when the round is in local mode (σ from the config)
 * rounds it randomly to the grid σ·2^-20 and adds N_Z(0, 2^40) grid steps per coordinate (exact
 * discrete Gaussian, variance ≈ σ²); encodes the upload. Without device noise, the decoded vector
 * must still satisfy ‖v‖ ≤ B (C, or the joint bound with counts) — f16 or int8 rounding can push it over by a hair, which would break the
 * server's sensitivity bound — so such a vector is shrunk slightly and re-encoded.
 * @param config - the round the update answers
 * @param gradient - Σ ∇θ L over the device's events this round (flat, parameter layout order)
 * @param options - encoding and randomness
 * @returns the body and its norms
 * @throws ProtocolError when the vector cannot be encoded (e.g. non-finite values)
 */
export function privatizeRoundUpdate(
  config: RoundUploadConfig,
  gradient: Float32Array,
  options: RoundUploadOptions,
): RoundUpload {
  const round = roundUpdateVector(config, gradient, options.counts);
  const { preClipNorm, clippedNorm } = round;
  const bound = updateNormBound(config);
  const sigma = config.privacy.mode === 'local' ? config.privacy.sigma : 0;
  const noiseOptions = options.source === undefined ? {} : { source: options.source };
  const vector =
    sigma > 0
      ? Float32Array.from(randomizeLocally(round.values, bound, sigma, noiseOptions))
      : round.values;
  const header = { roundId: config.roundId, projectorVersion: config.projectorVersion };
  const { source } = options;
  const encodeOptions = {
    encoding: options.encoding,
    ...(source === undefined ? {} : { random: () => uniform53(source) }),
  };
  let v = vector;
  for (let attempt = 0; ; attempt++) {
    const body = encodeUpdate({ ...header, vector: v }, encodeOptions);
    if (sigma > 0 || attempt >= NORM_REPAIR_ATTEMPTS) {
      return { body, preClipNorm, clippedNorm, sigma };
    }
    const norm = l2Norm(decodeUpdate(body).vector);
    if (norm <= bound) return { body, preClipNorm, clippedNorm, sigma };
    const shrink = (bound / norm) * (1 - 2 ** -10);
    v = v.map((x) => x * shrink);
  }
}
