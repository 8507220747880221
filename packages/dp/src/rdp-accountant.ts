/**
 * The stateful RDP accountant behind the server's privacy ledger: it records every release
 * (noise multiplier, sampling rate, number of steps), composes them at a fixed list of orders, and
 * converts to (ε, δ) on demand. Its state is a plain JSON document, so a ledger can persist it and
 * get the same ε back after a restart.
 */
import { DEFAULT_RDP_ORDERS, composeRdp, subsampledGaussianRdpCurve } from './rdp.js';
import { rdpToEpsilon } from './rdp-conversion.js';
import type { EpsilonAtOrder, RdpConversion } from './rdp-conversion.js';
import { requireCount, requireOrder, requirePositive, requireProbability } from './validate.js';

/** One entry of the accountant's history: `steps` identical subsampled-Gaussian releases. */
export interface RdpLedgerEntry {
  /** z = σ/C > 0. */
  readonly noiseMultiplier: number;
  /** q ∈ [0, 1] (1: every user's update may be in every release). */
  readonly sampleRate: number;
  /** How many releases with these parameters, ≥ 1. */
  readonly steps: number;
}

/** The persistable state of an {@link RdpAccountant}. */
export interface RdpAccountantState {
  /** The orders α the accountant evaluates. */
  readonly orders: readonly number[];
  /** Every recorded release, oldest first; consecutive identical parameters are merged. */
  readonly history: readonly RdpLedgerEntry[];
}

/** Options of {@link RdpAccountant}. */
export interface RdpAccountantOptions {
  /**
   * Orders α > 1 at which RDP is tracked; include fractional ones.
   * @defaultValue {@link DEFAULT_RDP_ORDERS}
   */
  readonly orders?: readonly number[];
}

/**
 * Accumulates the RDP of Poisson-subsampled Gaussian releases (Opacus' `RDPAccountant` semantics,
 * dp_accounting's numerics) under add/remove-one-user adjacency.
 */
export class RdpAccountant {
  readonly #orders: readonly number[];
  readonly #history: RdpLedgerEntry[] = [];
  /** RDP of one step of each history entry, so `getRdp` costs additions only. */
  readonly #unitCurves: number[][] = [];

  /**
   * @param options - `orders`: the RDP orders (default {@link DEFAULT_RDP_ORDERS})
   * @throws TypeError / RangeError when an order is not a finite number > 1 or the list is empty
   */
  constructor(options: RdpAccountantOptions = {}) {
    const orders = options.orders ?? DEFAULT_RDP_ORDERS;
    if (orders.length === 0) throw new RangeError('orders must not be empty');
    orders.forEach((order, i) => requireOrder(`orders[${i}]`, order));
    this.#orders = Object.freeze([...orders]);
  }

  /** The orders α tracked (read-only). */
  get orders(): readonly number[] {
    return this.#orders;
  }

  /** The recorded releases, oldest first (a copy). */
  get history(): readonly RdpLedgerEntry[] {
    return this.#history.map((entry) => ({ ...entry }));
  }

  /**
   * Records `steps` releases of the subsampled Gaussian mechanism.
   * @param noiseMultiplier - z = σ/C > 0
   * @param sampleRate - Poisson sampling rate q ∈ [0, 1]
   * @param steps - how many releases, ≥ 1
   * @defaultValue steps: 1
   * @returns this accountant (for chaining)
   * @throws TypeError / RangeError on invalid arguments (nothing is recorded then)
   */
  step(noiseMultiplier: number, sampleRate: number, steps = 1): this {
    requirePositive('noiseMultiplier', noiseMultiplier);
    requireProbability('sampleRate', sampleRate);
    if (requireCount('steps', steps) === 0) throw new RangeError(`steps must be ≥ 1, got 0`);
    const last = this.#history.at(-1);
    if (last && last.noiseMultiplier === noiseMultiplier && last.sampleRate === sampleRate) {
      this.#history[this.#history.length - 1] = { ...last, steps: last.steps + steps };
    } else {
      this.#history.push({ noiseMultiplier, sampleRate, steps });
      this.#unitCurves.push(
        subsampledGaussianRdpCurve({ noiseMultiplier, sampleRate, steps: 1, orders: this.#orders }),
      );
    }
    return this;
  }

  /**
   * The composed RDP of everything recorded.
   * @returns RDP_α at each of {@link RdpAccountant.orders} (all 0 before the first step)
   */
  getRdp(): number[] {
    // Multiplying each entry's one-step curve by its count (rather than adding it once per step)
    // makes the result independent of how the steps were batched, hence reproducible from JSON.
    return composeRdp([
      this.#orders.map(() => 0),
      ...this.#unitCurves.map((curve, e) => {
        const steps = (this.#history[e] as RdpLedgerEntry).steps;
        return curve.map((rdp) => steps * rdp);
      }),
    ]);
  }

  /**
   * The (ε, δ) guarantee of everything recorded.
   * @param delta - δ ∈ (0, 1)
   * @param conversion - RDP → (ε, δ) conversion
   * @defaultValue conversion: `'improved'`
   * @returns the smallest ε over the orders, and that order
   * @throws TypeError / RangeError on an invalid δ or conversion
   */
  getEpsilon(delta: number, conversion: RdpConversion = 'improved'): EpsilonAtOrder {
    return rdpToEpsilon(this.#orders, this.getRdp(), delta, conversion);
  }

  /**
   * The persistable state (for the privacy ledger).
   * @returns orders and history, as plain data
   */
  toJSON(): RdpAccountantState {
    return { orders: [...this.#orders], history: this.history };
  }

  /**
   * Rebuilds an accountant from {@link RdpAccountant.toJSON}'s output, validating every field
   * (the state typically comes from storage).
   * @param state - orders and history
   * @returns an accountant that reports the same RDP and ε as the one serialised
   * @throws TypeError / RangeError when the state is malformed
   */
  static fromJSON(state: RdpAccountantState): RdpAccountant {
    if (typeof state !== 'object' || state === null || !Array.isArray(state.history)) {
      throw new TypeError('accountant state must be an object with an array `history`');
    }
    if (!Array.isArray(state.orders))
      throw new TypeError('accountant state needs an array `orders`');
    const accountant = new RdpAccountant({ orders: state.orders });
    state.history.forEach((entry: RdpLedgerEntry) =>
      accountant.step(entry.noiseMultiplier, entry.sampleRate, entry.steps),
    );
    return accountant;
  }
}
