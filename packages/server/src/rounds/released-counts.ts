/**
 * The per-ad counts of a closing round: the noised sum of the update vectors holds the gradient
 * first and then, when the round asked for counts, the impressions and clicks per ad scaled by
 * `counts.scale` (`ad-counts.ts` of `@privads/protocol`). This splits them, converts the counts
 * back to count units, and folds them into the running totals that re-projected catalogs carry for
 * the ranking's popularity prior. Everything here is post-processing of the noised release.
 */
import { zcdpToEpsilon } from '@privads/dp';
import type {
  CatalogPopularity,
  ReleasedCounts,
  ReleasedCountsMetadata,
  RoundConfig,
} from '@privads/protocol';

import type { PopularitySettings } from '../config.js';
import type { ReleasedCountsInfo } from '../store/store.js';

/** A release's sum, split. */
export interface SplitRelease {
  /** The gradient part of the sum (`model.parameterCount` values). */
  gradient: Float64Array;
  /** The counts and what describes them (rounds that asked for counts). */
  counts?: { values: ReleasedCounts; metadata: ReleasedCountsMetadata; info: ReleasedCountsInfo };
}

/**
 * Splits a round's noised sum into the gradient and the per-ad counts.
 * @param round - the round's config
 * @param sum - the noised sum of the update vectors (`updateVectorLength(round)` values)
 * @param sumSigma - the standard deviation of the sum's noise per coordinate, in update units
 * @param countsRho - the counts' share of the release's ρ (null without a guarantee)
 * @returns the gradient sum and, with counts, the totals per ad in count units
 * @throws RangeError when the sum's length is not the round's update length
 */
export function splitRelease(
  round: RoundConfig,
  sum: Float64Array,
  sumSigma: number,
  countsRho: number | null,
): SplitRelease {
  const p = round.model.parameterCount;
  const query = round.counts;
  const expected = p + (query ? 2 * query.adCount : 0);
  if (sum.length !== expected) {
    throw new RangeError(
      `round ${round.roundId} sum has ${sum.length} values, expected ${expected}`,
    );
  }
  const gradient = sum.subarray(0, p);
  if (query === undefined) return { gradient };
  const a = query.adCount;
  const toCounts = (from: number): Float32Array =>
    Float32Array.from(sum.subarray(from, from + a), (x) => x / query.scale);
  const sigma = sumSigma / query.scale;
  const delta = round.privacy.mode === 'none' ? null : round.privacy.delta;
  const common = {
    catalogVersion: query.catalogVersion,
    adCount: a,
    maxImpressions: query.maxImpressions,
    maxClicks: query.maxClicks,
    sigma,
    rho: countsRho,
  };
  return {
    gradient,
    counts: {
      values: { impressions: toCounts(p), clicks: toCounts(p + a) },
      metadata: common,
      info: {
        ...common,
        epsilon:
          countsRho === null || delta === null || !(countsRho > 0)
            ? null
            : zcdpToEpsilon(countsRho, delta),
      },
    },
  };
}

/**
 * The running totals a new catalog carries: the previous catalog's totals plus this round's
 * released counts (the noise variances add up: σ² summed over rounds).
 * @param previous - the totals the catalog carried so far (absent: none yet)
 * @param released - this round's counts and their noise std (absent: the round counted nothing)
 * @param settings - the prior's weight and smoothing
 * @param adCount - ads in the catalog
 * @returns the totals, or undefined when no counts were ever released for this catalog
 */
export function accumulatePopularity(
  previous: CatalogPopularity | undefined,
  released: { values: ReleasedCounts; sigma: number } | undefined,
  settings: PopularitySettings,
  adCount: number,
): CatalogPopularity | undefined {
  if (previous === undefined && released === undefined) return undefined;
  const clicks = new Float32Array(adCount);
  const impressions = new Float32Array(adCount);
  let rounds = 0;
  let variance = 0;
  for (const part of [previous, released && { ...released.values, sigma: released.sigma }]) {
    if (part === undefined || part.clicks.length !== adCount) continue;
    for (let i = 0; i < adCount; i++) {
      clicks[i] = (clicks[i] as number) + (part.clicks[i] as number);
      impressions[i] = (impressions[i] as number) + (part.impressions[i] as number);
    }
    variance += part.sigma ** 2;
    rounds += part === previous ? previous.rounds : 1;
  }
  return { clicks, impressions, ...prior(settings), rounds, sigma: Math.sqrt(variance) };
}

/** The prior's parameters a catalog carries (only these: the settings may grow). */
function prior({ weight, smoothing }: PopularitySettings): { weight: number; smoothing: number } {
  return { weight, smoothing };
}

/**
 * The running totals a newly imported catalog starts from: the previous catalog's totals for every
 * ad whose id persists, zero for new ads (a re-import that keeps most ads keeps its prior instead
 * of starting every ad from nothing). The rounds and σ stay the previous totals' (the noise of a
 * carried count); weight and smoothing are the current settings'.
 * @param previous - the previous catalog's ad ids and totals
 * @param ids - the new catalog's ad ids, in order
 * @param settings - the prior's weight and smoothing
 * @returns the carried totals, or undefined when no ad id persists
 */
export function carryPopularity(
  previous: { ids: readonly string[]; popularity: CatalogPopularity },
  ids: readonly string[],
  settings: PopularitySettings,
): CatalogPopularity | undefined {
  const rowOf = new Map(previous.ids.map((id, row) => [id, row]));
  const clicks = new Float32Array(ids.length);
  const impressions = new Float32Array(ids.length);
  let carried = 0;
  ids.forEach((id, i) => {
    const row = rowOf.get(id);
    if (row === undefined) return;
    clicks[i] = previous.popularity.clicks[row] as number;
    impressions[i] = previous.popularity.impressions[row] as number;
    carried++;
  });
  if (carried === 0) return undefined;
  const { rounds, sigma } = previous.popularity;
  return { clicks, impressions, ...prior(settings), rounds, sigma };
}
