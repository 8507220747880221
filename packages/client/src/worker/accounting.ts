import { gaussianMechanismDelta } from '@privads/dp';
import type { PrivacyMode } from '@privads/protocol';
import type { ParticipationStub } from '../store/records.js';

/** Privacy spent under one mode. */
export interface ModeSpend {
  /** Participations (ledger entries) under this mode. */
  readonly participations: number;
  /** ε of all of them composed, at {@link ModeSpend.delta}. */
  readonly epsilon: number;
  /** δ of the composed guarantee (the largest δ any of them declared). */
  readonly delta: number;
}

/** Spend per mode plus the total the lifetime budget is checked against. */
export interface Spend {
  readonly byMode: Readonly<Record<PrivacyMode, ModeSpend>>;
  /** Sum of the per-mode ε (basic composition across modes: conservative). */
  readonly totalEpsilon: number;
  /** Sum of the per-mode δ. */
  readonly totalDelta: number;
}

/**
 * ε of the Gaussian mechanism with noise multiplier `z` (σ = z·Δ) at `delta`: the smallest ε with
 * δ(ε) ≤ `delta` (Balle & Wang 2018, via `gaussianMechanismDelta`), found by bisection and rounded
 * up (the bracket's upper end), so the ledger never under-states the spend.
 * @param z - noise multiplier > 0
 * @param delta - target δ in (0, 1)
 * @returns ε ≥ 0
 */
export function gaussianEpsilon(z: number, delta: number): number {
  const privateEnough = (epsilon: number): boolean =>
    epsilon > 0 ? gaussianMechanismDelta(z, epsilon) <= delta : false;
  if (privateEnough(Number.MIN_VALUE)) return 0;
  let hi = 1;
  while (!privateEnough(hi)) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (privateEnough(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Composes Gaussian releases exactly: `k` Gaussian mechanisms with noise multipliers `z_i` are
 * together a Gaussian mechanism with `1/z² = Σ 1/z_i²` (Gaussian differential privacy,
 * Dong, Roth & Su 2019), which is tighter than adding the ε's.
 * @param multipliers - the `z_i` (> 0)
 * @returns the composed noise multiplier (∞ for none)
 */
export function composedMultiplier(multipliers: readonly number[]): number {
  const inverseSquares = multipliers.reduce((sum, z) => sum + 1 / (z * z), 0);
  return inverseSquares === 0 ? Infinity : 1 / Math.sqrt(inverseSquares);
}

const NO_SPEND: ModeSpend = Object.freeze({ participations: 0, epsilon: 0, delta: 0 });

function modeSpend(entries: readonly ParticipationStub[]): ModeSpend {
  if (entries.length === 0) return NO_SPEND;
  const delta = Math.max(...entries.map((e) => e.delta));
  const multipliers = entries.map((e) => e.noiseMultiplier);
  let epsilon: number;
  if (multipliers.every((z): z is number => z !== undefined && z > 0) && delta > 0) {
    epsilon = gaussianEpsilon(composedMultiplier(multipliers), delta);
  } else {
    // Without a multiplier for every entry, fall back to basic composition of the recorded ε.
    epsilon = entries.reduce((sum, e) => sum + e.epsilon, 0);
  }
  return { participations: entries.length, epsilon, delta };
}

/**
 * Totals the ledger per mode: the ε of this device, per device. Every record counts whatever its
 * upload status (a queued or failed upload may still have reached the server, so only
 * over-counting is allowed), and so does every stub `forget()` left. No amplification by the
 * round's sampling probability is applied: the server, the page and the network all see whether
 * this device took part, so the sampling is no secret to them.
 * @param ledger - all records (full entries and stubs)
 * @returns spend per mode and in total
 */
export function spendOf(ledger: readonly ParticipationStub[]): Spend {
  const of = (mode: PrivacyMode): ModeSpend => modeSpend(ledger.filter((e) => e.mode === mode));
  const byMode = {
    none: of('none'),
    central: of('central'),
    distributed: of('distributed'),
    local: of('local'),
  };
  const modes = Object.values(byMode);
  return {
    byMode,
    totalEpsilon: modes.reduce((sum, m) => sum + m.epsilon, 0),
    totalDelta: modes.reduce((sum, m) => sum + m.delta, 0),
  };
}
