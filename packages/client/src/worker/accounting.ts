import { gaussianZcdp, perDeviceEpsilon } from '@privads/dp';
import type { PrivacyMode } from '@privads/protocol';
import type { ParticipationStub } from '../store/records.js';

/** Privacy spent under one mode. */
export interface ModeSpend {
  /** Participations (ledger entries) under this mode. */
  readonly participations: number;
  /** zCDP ρ of all of them composed (the sum of their ρ; ∞ for any `none` round). */
  readonly rho: number;
  /** ε of {@link ModeSpend.rho} at {@link ModeSpend.delta}. */
  readonly epsilon: number;
  /** δ of the conversion (the largest δ any of them declared). */
  readonly delta: number;
}

/** Spend per mode plus the total the lifetime budget is checked against. */
export interface Spend {
  readonly byMode: Readonly<Record<PrivacyMode, ModeSpend>>;
  /** ρ of every participation, whatever its mode, composed. */
  readonly totalRho: number;
  /** ε of {@link Spend.totalRho} at {@link Spend.totalDelta}: what the lifetime budget bounds. */
  readonly totalEpsilon: number;
  /** δ of the conversion: the largest δ any participation declared. */
  readonly totalDelta: number;
}

/**
 * The zCDP cost of one ledger record. Records written before the ledger kept ρ still hold the
 * Gaussian noise multiplier z of their release (central: z; local: σ/Δ), which is 1/(2z²)-zCDP.
 * A record with neither (a `none` round) is not private at all.
 * @param record - a full entry or a stub
 * @returns ρ ≥ 0, or ∞
 */
export function rhoOf(record: ParticipationStub): number {
  if (record.rho !== undefined) return record.rho;
  const z = record.noiseMultiplier;
  return z !== undefined && z > 0 ? gaussianZcdp(z) : Infinity;
}

/**
 * ε at δ of a device that took part in releases costing `rhos`: zCDP composes by adding ρ, and
 * every participation counts (no amplification; `perDeviceEpsilon` of `@privads/dp`).
 * @returns ε ≥ 0 (0 for none, ∞ when some ρ is ∞ or no δ was declared)
 */
function composedEpsilon(rhos: readonly number[], delta: number): number {
  if (rhos.length === 0) return 0;
  if (rhos.some((rho) => !Number.isFinite(rho)) || !(delta > 0 && delta < 1)) return Infinity;
  return perDeviceEpsilon(rhos, rhos.length, delta);
}

function spendOfRecords(entries: readonly ParticipationStub[]): ModeSpend {
  const rhos = entries.map(rhoOf);
  const delta = entries.reduce((largest, e) => Math.max(largest, e.delta), 0);
  return {
    participations: entries.length,
    rho: rhos.reduce((sum, rho) => sum + rho, 0),
    epsilon: composedEpsilon(rhos, delta),
    delta,
  };
}

/**
 * Totals the ledger, per mode and over all modes, under one rule: each participation is a
 * ρ-zCDP release (central: the Gaussian's 1/(2z²); local: the same with z = σ/Δ; distributed: the
 * distributed discrete Gaussian's ρ), ρ's add up, and the sum is converted to ε at the largest δ
 * declared (tight conversion of Canonne, Kamath & Steinke 2020). Every record counts whatever its
 * upload status (a queued or failed upload, or a secure round the device left halfway, may still
 * have reached the server, so only over-counting is allowed), and so does every stub `forget()`
 * left. No amplification by the round's sampling probability is applied: the server, the page and
 * the network all see whether this device took part, so the sampling is no secret to them.
 * @param ledger - all records (full entries and stubs)
 * @returns spend per mode and in total
 */
export function spendOf(ledger: readonly ParticipationStub[]): Spend {
  const of = (mode: PrivacyMode): ModeSpend =>
    spendOfRecords(ledger.filter((e) => e.mode === mode));
  const total = spendOfRecords(ledger);
  return {
    byMode: {
      none: of('none'),
      central: of('central'),
      distributed: of('distributed'),
      local: of('local'),
    },
    totalRho: total.rho,
    totalEpsilon: total.epsilon,
    totalDelta: total.delta,
  };
}
