/**
 * The privacy ledger: what each release costs one device, and what all releases so far cost one
 * device, without amplification by subsampling (the server, the publisher page and the network
 * all see who uploads). Costs are zCDP ρ per participation, composed over the most expensive
 * releases one device may have joined under the round's participation rules (at most one round in
 * any `minRoundGap`, at most `maxParticipationsPerDevice` in a lifetime), and converted to ε(δ)
 * with the tight conversion of `@privads/dp`.
 *
 * - `central`: the server adds exact discrete Gaussian noise of std z·C to a sum whose
 *   L2 sensitivity is C: ρ = 1/(2z²).
 * - `local`: each upload carries its own noise, σ calibrated for the sensitivity
 *   Δ = 2(C + g√d) of `localSensitivity` (clip, then rounding to the grid g): ρ = Δ²/(2σ²).
 * - `distributed`: the round's release ρ (distributed discrete Gaussian), computed by the caller.
 * - `none`: no guarantee (null).
 *
 * A round that also released per-ad counts priced them in the same ρ (`participationCost`: the
 * joint sensitivity of gradient and counts); the entry shows the two shares apart.
 *
 * An amplified figure (`epsilonIfParticipationHidden`, RDP of the subsampled Gaussian) is kept
 * beside it for central rounds, labelled with the assumption it needs.
 */
import {
  RdpAccountant,
  allowedParticipations,
  gaussianZcdp,
  participationCost,
  perDeviceEpsilon,
  zcdpToEpsilon,
} from '@privads/dp';
import type { RoundConfig } from '@privads/protocol';

import type { LedgerEntry } from '../store/store.js';

/** ρ of an entry, for ledgers written before entries carried it. */
function rhoOf(entry: LedgerEntry): number | null {
  if (entry.mode === 'none') return null;
  return entry.rho ?? gaussianZcdp(entry.noiseMultiplier);
}

/** The figure that holds only if nobody could see who took part (central rounds only). */
function amplifiedEpsilon(entries: readonly LedgerEntry[], delta: number): number | null {
  const accountant = new RdpAccountant();
  for (const e of entries) {
    if (e.mode !== 'central' || !(e.noiseMultiplier > 0)) return null;
    accountant.step(e.noiseMultiplier, e.sampleRate);
  }
  return accountant.history.length === 0 ? null : accountant.getEpsilon(delta).epsilon;
}

/**
 * The accounted noise multiplier and ρ of one participation in a round's release
 * (`participationCost` of `@privads/dp`, the rule the client prices with too).
 * @param round - the released round's config
 * @param devices - noise shares the release actually sums (distributed mode; default k_min)
 * @returns z and ρ (null ρ without a guarantee)
 */
export function releaseCost(round: RoundConfig, devices?: number): ReleaseCost {
  return participationCost(round, devices) ?? { noiseMultiplier: 0, rho: null, countsRho: null };
}

/** z, ρ and the counts' share of ρ of one release (null ρ without a guarantee). */
export interface ReleaseCost {
  /** The accounted noise multiplier. */
  noiseMultiplier: number;
  /** ρ of one participation (gradient and counts). */
  rho: number | null;
  /** The counts' share of ρ (0 without counts; null without a guarantee). */
  countsRho: number | null;
}

/**
 * The ledger entry of a release.
 * @param round - the released round's config
 * @param release - cohort size, accounted noise multiplier and ρ (see {@link releaseCost}), time
 * @param previous - the ledger before this release
 * @returns the entry with ε of one participation and per device over every release so far
 */
export function ledgerEntryFor(
  round: RoundConfig,
  release: ReleaseCost & { cohortSize: number; releasedAt: string },
  previous: readonly LedgerEntry[],
): LedgerEntry {
  const privacy = round.privacy;
  const countsRho = release.rho === null ? null : (release.countsRho ?? 0);
  const counts = round.counts
    ? {
        counts: {
          maxImpressions: round.counts.maxImpressions,
          maxClicks: round.counts.maxClicks,
          rho: countsRho,
          gradientRho: release.rho === null || countsRho === null ? null : release.rho - countsRho,
        },
      }
    : {};
  const base = {
    roundId: round.roundId,
    releasedAt: release.releasedAt,
    cohortSize: release.cohortSize,
    clipNorm: round.clipNorm,
    sampleRate: round.participation.samplingProbability,
    participationsAllowed: Math.min(
      allowedParticipations(round.participation, round.roundId),
      previous.length + 1,
    ),
  };
  if (privacy.mode === 'none' || release.rho === null) {
    return {
      ...base,
      mode: privacy.mode,
      noiseMultiplier: 0,
      rho: null,
      delta: null,
      epsilon: null,
      cumulativeEpsilon: null,
      epsilonIfParticipationHidden: null,
      ...counts,
    };
  }
  const { delta } = privacy;
  const entry: LedgerEntry = {
    ...base,
    mode: privacy.mode,
    noiseMultiplier: release.noiseMultiplier,
    rho: release.rho,
    delta,
    epsilon: zcdpToEpsilon(release.rho, delta),
    cumulativeEpsilon: null,
    ...counts,
  };
  const all = [...previous, entry];
  entry.cumulativeEpsilon = ledgerEpsilon(all, delta);
  entry.epsilonIfParticipationHidden = amplifiedEpsilon(all, delta);
  return entry;
}

/**
 * One device's ε over the whole ledger at δ, without amplification: the releases it may have
 * joined under the newest entry's participation bound, most expensive first.
 * @param ledger - entries, oldest first
 * @param delta - δ ∈ (0, 1)
 * @returns ε, or null when nothing with a guarantee was released
 */
export function ledgerEpsilon(ledger: readonly LedgerEntry[], delta: number): number | null {
  const rhos = ledger.map(rhoOf).filter((rho): rho is number => rho !== null);
  if (rhos.length === 0) return null;
  // Entries written before per-device accounting carry no bound: then every release counts.
  const allowed = ledger[ledger.length - 1]?.participationsAllowed ?? rhos.length;
  return perDeviceEpsilon(rhos, Math.min(allowed, rhos.length), delta);
}
