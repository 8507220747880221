/**
 * The privacy ledger: ε(δ) of each release and of all releases so far, via the RDP accountant of
 * `@privads/dp`.
 *
 * - `central`: each release is a Poisson-subsampled Gaussian mechanism with noise multiplier z and
 *   sampling rate q = the participation probability.
 * - `local`: each upload is the (discrete) Gaussian mechanism with σ calibrated for the sensitivity
 *   Δ = 2(C + g√d) of `localSensitivity` (clip, then rounding to the grid g), i.e. multiplier σ/Δ,
 *   without amplification (the server sees every upload). The release's ε is the
 *   configured per-upload ε (exact analytic calibration); the cumulative figure composes RDP.
 * - `none`: no guarantee (null).
 *
 * Cumulative ε composes every release in the ledger, as if one device took part in all of them:
 * an upper bound for a device that joined fewer.
 */
import { RdpAccountant, localSensitivity } from '@privads/dp';
import type { RoundConfig } from '@privads/protocol';

import type { LedgerEntry } from '../store/store.js';

/** The accountant's view of one release. */
function accountantStep(
  entry: Pick<LedgerEntry, 'mode' | 'noiseMultiplier' | 'sampleRate'>,
  accountant: RdpAccountant,
): void {
  if (entry.mode !== 'none' && entry.noiseMultiplier > 0)
    accountant.step(entry.noiseMultiplier, entry.sampleRate);
}

/**
 * The ledger entry of a release.
 * @param round - the released round's config
 * @param release - cohort size, accounted noise multiplier, time
 * @param previous - the ledger before this release
 * @returns the entry with ε of this release and cumulative
 */
export function ledgerEntryFor(
  round: RoundConfig,
  release: { cohortSize: number; noiseMultiplier: number; releasedAt: string },
  previous: readonly LedgerEntry[],
): LedgerEntry {
  const privacy = round.privacy;
  const base = {
    roundId: round.roundId,
    releasedAt: release.releasedAt,
    cohortSize: release.cohortSize,
    clipNorm: round.clipNorm,
  };
  if (privacy.mode === 'none') {
    return {
      ...base,
      mode: 'none',
      noiseMultiplier: 0,
      sampleRate: 1,
      delta: null,
      epsilon: null,
      cumulativeEpsilon: null,
    };
  }
  const entry: LedgerEntry =
    privacy.mode === 'central'
      ? {
          ...base,
          mode: 'central',
          noiseMultiplier: release.noiseMultiplier,
          sampleRate: round.participation.samplingProbability,
          delta: privacy.delta,
          epsilon: null,
          cumulativeEpsilon: null,
        }
      : {
          ...base,
          mode: 'local',
          noiseMultiplier:
            privacy.sigma /
            localSensitivity(round.clipNorm, privacy.sigma, round.model.parameterCount),
          sampleRate: 1,
          delta: privacy.delta,
          epsilon: privacy.epsilon,
          cumulativeEpsilon: null,
        };
  const delta = privacy.delta;
  if (entry.epsilon === null) {
    const single = new RdpAccountant();
    accountantStep(entry, single);
    entry.epsilon = single.getEpsilon(delta).epsilon;
  }
  const all = new RdpAccountant();
  for (const e of previous) accountantStep(e, all);
  accountantStep(entry, all);
  entry.cumulativeEpsilon = Math.max(all.getEpsilon(delta).epsilon, entry.epsilon);
  return entry;
}

/**
 * ε of the whole ledger at δ.
 * @param ledger - entries
 * @param delta - δ ∈ (0, 1)
 * @returns ε, or null when nothing with a guarantee was released
 */
export function ledgerEpsilon(ledger: readonly LedgerEntry[], delta: number): number | null {
  const all = new RdpAccountant();
  for (const e of ledger) accountantStep(e, all);
  return all.history.length === 0 ? null : all.getEpsilon(delta).epsilon;
}
