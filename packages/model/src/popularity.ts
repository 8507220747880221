/**
 * The popularity prior of the ranking: `score(u, ad) = cos(u, p_ad) + w · prior(ad)` with
 * `prior(ad) = log((max(clicks_ad, 0) + α) / (Σ_a max(clicks_a, 0) + α·N))`, the smoothed log click
 * share of the ad among the catalog's N ads, computed from the differentially private per-ad click
 * totals the server released. It is the item-bias term a recommender learns (the logQ correction
 * of sampled softmax training, turned around): without it the cosine has no notion of how often an
 * ad is chosen at all. Released counts carry noise and may be negative; clamping at 0 and the
 * pseudo-count α are post-processing, so the prior costs no privacy beyond the counts' release.
 *
 * One implementation serves the browser's ranker, the simulator's evaluation and the server's
 * catalog, so the ranking a publisher sees is the one that was measured. Entry point
 * `@privads/model/popularity` (no tfjs).
 */

/** The released per-ad clicks and the prior's parameters, as a catalog bundle carries them. */
export interface PopularitySource {
  /** Released clicks per ad (summed over rounds; noisy). */
  readonly clicks: ArrayLike<number>;
  /** w ≥ 0: the prior's weight in the score. */
  readonly weight: number;
  /** α > 0: pseudo-clicks per ad. */
  readonly smoothing: number;
}

/**
 * The smoothed log click share of every ad.
 * @param clicks - released clicks per ad (noisy, possibly negative)
 * @param smoothing - α > 0
 * @returns log((max(c_a, 0) + α) / (Σ max(c, 0) + α·N)) per ad (all ≤ 0)
 * @throws RangeError when α is not a finite number > 0
 */
export function popularityPrior(clicks: ArrayLike<number>, smoothing: number): Float64Array {
  if (!(smoothing > 0) || !Number.isFinite(smoothing)) {
    throw new RangeError(`smoothing must be a finite number > 0, got ${smoothing}`);
  }
  const n = clicks.length;
  let total = smoothing * n;
  for (let a = 0; a < n; a++) total += Math.max(clicks[a] as number, 0);
  const out = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    out[a] = Math.log((Math.max(clicks[a] as number, 0) + smoothing) / total);
  }
  return out;
}

/**
 * The per-ad additive bias of the score, w · prior, shifted so that its largest value is 0 (a
 * constant shift changes no ranking, and a bias ≤ 0 lets a re-ranker bound what an unscored ad can
 * reach: its cosine).
 * @param source - released clicks, weight and smoothing
 * @returns `clicks.length` biases ≤ 0 (all 0 when w = 0)
 * @throws RangeError for a negative or non-finite weight, or an invalid smoothing
 */
export function popularityBias(source: PopularitySource): Float32Array {
  const { weight } = source;
  if (!(weight >= 0) || !Number.isFinite(weight)) {
    throw new RangeError(`weight must be a finite number >= 0, got ${weight}`);
  }
  const prior = popularityPrior(source.clicks, source.smoothing);
  let max = -Infinity;
  for (const p of prior) max = Math.max(max, p);
  return Float32Array.from(prior, (p) => weight * (p - max));
}
