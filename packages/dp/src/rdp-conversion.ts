/**
 * From an RDP curve to an (ε, δ)-DP guarantee: each order α gives a valid ε(α) for the target δ
 * and the reported ε is the smallest of them.
 */
import { requireDelta, requireOrder } from './validate.js';

/**
 * Which RDP → (ε, δ) conversion to apply at each order.
 * - `'improved'` (default): ε = RDP_α + log((α − 1)/α) − (log δ + log α)/(α − 1)
 *   (Balle et al. 2020, "Hypothesis Testing Interpretations and Rényi DP", Theorem 21; Canonne,
 *   Kamath & Steinke 2020, Proposition 12; what Opacus' `get_privacy_spent` and dp_accounting use).
 * - `'classic'`: ε = RDP_α + log(1/δ)/(α − 1) (Mironov 2017, Proposition 3). Never smaller.
 */
export type RdpConversion = 'improved' | 'classic';

/** An ε and the order that attains it. */
export interface EpsilonAtOrder {
  /** The smallest ε over the orders (≥ 0; `Infinity` when every order is infinite). */
  readonly epsilon: number;
  /** The order α that attains it (`NaN` when `epsilon` is `Infinity`). */
  readonly order: number;
}

function epsilonAt(
  order: number,
  rdp: number,
  logDelta: number,
  conversion: RdpConversion,
): number {
  if (conversion === 'classic') return rdp - logDelta / (order - 1);
  return rdp + Math.log1p(-1 / order) - (logDelta + Math.log(order)) / (order - 1);
}

/**
 * Converts an RDP curve into (ε, δ)-DP.
 * @param orders - the orders α > 1 of the curve
 * @param rdp - RDP_α at each order (≥ 0, may be `Infinity`)
 * @param delta - δ ∈ (0, 1)
 * @param conversion - which per-order bound to use
 * @defaultValue conversion: `'improved'`
 * @returns the smallest ε (clamped at 0: a negative bound still implies (0, δ)-DP) and its order
 * @throws TypeError / RangeError on invalid arguments or when the lengths differ
 */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'improved',
): EpsilonAtOrder {
  requireDelta('delta', delta);
  if (conversion !== 'improved' && conversion !== 'classic') {
    throw new RangeError(`conversion must be 'improved' or 'classic', got ${String(conversion)}`);
  }
  if (orders.length !== rdp.length) {
    throw new RangeError(`${orders.length} orders but ${rdp.length} RDP values`);
  }
  const logDelta = Math.log(delta);
  let best: EpsilonAtOrder = { epsilon: Infinity, order: NaN };
  orders.forEach((order, i) => {
    requireOrder(`orders[${i}]`, order);
    const value = rdp[i] as number;
    if (!(value >= 0)) throw new RangeError(`rdp[${i}] must be ≥ 0, got ${value}`);
    const epsilon = epsilonAt(order, value, logDelta, conversion);
    if (epsilon < best.epsilon) best = { epsilon, order };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}
