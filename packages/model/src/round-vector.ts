/**
 * The vector a device contributes to a round, before any noise: its clipped projector gradient,
 * followed — when the round asks for per-ad counts — by its bounded impressions and clicks per ad,
 * each count worth `counts.scale` (`ad-counts.ts` of `@privads/protocol`). Every mode's upload
 * (float, local, masked) starts from this one function, so the browser, the simulator and the
 * server's checks agree on the layout and the norm bound bit for bit.
 */
import { boundCounts, clipByL2Norm, globalL2Norm } from '@privads/dp';
import { updateNormBound } from '@privads/protocol';
import type { RoundConfig } from '@privads/protocol';

/** What a device saw this round, per ad of the round's counts catalog (raw, before bounding). */
export interface DeviceAdCounts {
  /** Impressions per ad, `counts.adCount` non-negative integers in catalog order. */
  readonly impressions: ArrayLike<number>;
  /** Clicks per ad, same order. */
  readonly clicks: ArrayLike<number>;
}

/**
 * The parts of a round config the vector depends on (`model`, when given, is checked against the
 * gradient's length).
 */
export type RoundVectorConfig = Pick<RoundConfig, 'clipNorm' | 'counts'> &
  Partial<Pick<RoundConfig, 'model'>>;

/** A device's round vector and its norms. */
export interface RoundVector {
  /** `updateVectorLength(config)` values with L2 norm ≤ `updateNormBound(config)`. */
  readonly values: Float32Array;
  /** ‖g‖₂ before clipping (stays on the device). */
  readonly preClipNorm: number;
  /** ‖clip(g, C)‖₂. */
  readonly clippedNorm: number;
}

/**
 * Counts of zero events for every ad: what a device without impressions reports (taking part
 * never depends on the data, so it still sends a counts segment).
 * @param adCount - ads in the round's counts catalog
 * @returns zero counts
 */
export function noAdCounts(adCount: number): DeviceAdCounts {
  return { impressions: new Uint32Array(adCount), clicks: new Uint32Array(adCount) };
}

/**
 * Clips the gradient to C and, when the round asks for counts, appends the device's counts bounded
 * to `maxImpressions` and `maxClicks` (`boundCounts` of `@privads/dp`) and scaled by `scale`. The
 * whole vector is clipped once more to the joint bound, which only absorbs float rounding.
 * @param config - the round
 * @param gradient - Σ ∇θ L (`model.parameterCount` values; the counts follow them)
 * @param counts - the device's per-ad counts (ignored without a counts query; default: none seen)
 * @returns the vector and the gradient's norms
 * @throws RangeError when the gradient or the counts have the wrong length; TypeError / RangeError
 *   for a count that is not a non-negative integer; PrivacyParameterError for a non-finite gradient
 */
export function roundUpdateVector(
  config: RoundVectorConfig,
  gradient: Float32Array,
  counts?: DeviceAdCounts,
): RoundVector {
  const parameterCount = gradient.length;
  if (config.model !== undefined && parameterCount !== config.model.parameterCount) {
    throw new RangeError(
      `gradient has ${gradient.length} values, the round expects ${parameterCount}`,
    );
  }
  const clipped = clipByL2Norm(gradient, config.clipNorm);
  const clippedNorm = globalL2Norm([clipped.values]);
  const query = config.counts;
  if (query === undefined) {
    return { values: clipped.values, preClipNorm: clipped.norm, clippedNorm };
  }
  const seen = counts ?? noAdCounts(query.adCount);
  for (const [name, values] of [
    ['impressions', seen.impressions],
    ['clicks', seen.clicks],
  ] as const) {
    if (values.length !== query.adCount) {
      throw new RangeError(
        `${name} has ${values.length} values, the round counts ${query.adCount} ads`,
      );
    }
  }
  const joint = new Float64Array(parameterCount + 2 * query.adCount);
  joint.set(clipped.values);
  const impressions = boundCounts(seen.impressions, query.maxImpressions);
  const clicks = boundCounts(seen.clicks, query.maxClicks);
  for (let a = 0; a < query.adCount; a++) {
    joint[parameterCount + a] = (impressions[a] as number) * query.scale;
    joint[parameterCount + query.adCount + a] = (clicks[a] as number) * query.scale;
  }
  const bounded = clipByL2Norm(Float32Array.from(joint), updateNormBound(config));
  return { values: bounded.values, preClipNorm: clipped.norm, clippedNorm };
}
