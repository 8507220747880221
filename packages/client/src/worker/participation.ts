import {
  gaussianEpsilon,
  participationCost,
  zcdpToEpsilon,
  type ParticipationCost,
} from '@privads/dp';
import {
  meetsPrivacyFloor,
  participationRuleViolation,
  type PrivacyMode,
  type RoundConfig,
} from '@privads/protocol';
import type { LedgerEntry, ParticipationStub } from '../store/records.js';
import type { FlushReason, ResolvedPrivacyFloor } from '../types.js';
import { spendOf } from './accounting.js';

/** What joining a round costs, as the ledger will record it. */
export interface RoundCharge {
  readonly mode: PrivacyMode;
  /** zCDP ρ of this participation (∞ for `none`): what the ledger composes. */
  readonly rho: number;
  /** ε of {@link RoundCharge.rho} alone at {@link RoundCharge.delta}. */
  readonly epsilon: number;
  readonly delta: number;
  /** Gaussian noise multiplier of the release (local: σ/Δ, Δ = 2(C + g√d); central: z). */
  readonly noiseMultiplier?: number;
  /**
   * Standard deviation of the noise the client itself adds, in update units: local, σ;
   * distributed, σ_dev·γ of its discrete Gaussian share; else 0.
   */
  readonly clientSigma: number;
}

/** A refusal with its stable reason and an explanation for the reader or the developer. */
export interface Refusal {
  readonly ok: false;
  readonly reason: FlushReason;
  readonly message: string;
}

/** Relative slack for comparing a server's declared ε with the ε its σ actually gives. */
const DECLARED_EPSILON_SLACK = 1e-6;

const refuse = (reason: FlushReason, message: string): Refusal => ({ ok: false, reason, message });

/**
 * The ledger entry of a participation: what the budget check prices and what the flusher
 * records, from one place.
 * @param config - the round
 * @param charge - its cost under the declared mode
 * @param bytes - the upload's size (0 while only pricing it)
 * @param now - epoch ms
 * @returns the entry, without its store id
 */
export function queuedLedgerEntry(
  config: RoundConfig,
  charge: RoundCharge,
  bytes: number,
  now: number,
): Omit<LedgerEntry, 'id'> {
  return {
    roundId: config.roundId,
    projectorVersion: config.projectorVersion,
    mode: charge.mode,
    epsilon: charge.epsilon,
    delta: charge.delta,
    rho: charge.rho,
    ...(charge.noiseMultiplier === undefined ? {} : { noiseMultiplier: charge.noiseMultiplier }),
    bytes,
    at: now,
    status: 'queued',
    statusAt: now,
  };
}

/** A charge of ρ-zCDP at δ. */
function zcdpCharge(
  mode: PrivacyMode,
  rho: number,
  delta: number,
  extra: { noiseMultiplier?: number; clientSigma: number },
): { ok: true; charge: RoundCharge } {
  return { ok: true, charge: { mode, rho, epsilon: zcdpToEpsilon(rho, delta), delta, ...extra } };
}

/**
 * What a round config costs, priced by the client itself as zCDP ρ (one rule for every mode, so
 * that participations in different modes compose in one ledger). Local mode: ρ = 1/(2z²) with
 * z = σ/Δ (Δ from `localSensitivity`, the rule the server calibrates with), and a config whose σ
 * gives less privacy than the ε it declares is refused. Central: ρ = 1/(2z²) of the server's noise.
 * Distributed: the distributed discrete Gaussian's ρ (`distributedGaussianRho`) of the encoding
 * the round describes, for a sum of at least `kMin` and at most `maxCohort` noise shares —
 * computed from σ_dev, γ, C and D, not from the z the server declares.
 * @param config - a validated round config
 * @returns the charge, or a refusal
 */
export function chargeOf(config: RoundConfig): { ok: true; charge: RoundCharge } | Refusal {
  const privacy = config.privacy;
  if (privacy.mode === 'local') {
    // Local DP compares any two inputs of one device: both clipped to C and rounded to the noise
    // grid, they differ by at most 2(C + g√d); the server calibrates σ with the same helper.
    const { noiseMultiplier: z, rho } = participationCost(config) as ParticipationCost;
    // The server declares the analytic Gaussian's ε: check its σ against that, exactly.
    const declared = gaussianEpsilon(z, privacy.delta);
    if (declared > privacy.epsilon * (1 + DECLARED_EPSILON_SLACK)) {
      return refuse(
        'config-inconsistent',
        `round ${config.roundId} declares ε=${privacy.epsilon} but σ=${privacy.sigma} with C=${config.clipNorm} only gives ε=${declared.toFixed(4)} at δ=${privacy.delta}`,
      );
    }
    return zcdpCharge('local', rho, privacy.delta, {
      noiseMultiplier: z,
      clientSigma: privacy.sigma,
    });
  }
  if (privacy.mode === 'central') {
    const { noiseMultiplier: z, rho } = participationCost(config) as ParticipationCost;
    return zcdpCharge('central', rho, privacy.delta, { noiseMultiplier: z, clientSigma: 0 });
  }
  if (privacy.mode === 'distributed') {
    let rho: number;
    try {
      ({ rho } = participationCost(config) as ParticipationCost);
    } catch (error) {
      return refuse(
        'config-invalid',
        `round ${config.roundId} does not describe a valid secure sum: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!Number.isFinite(rho)) {
      return refuse('config-inconsistent', `round ${config.roundId} adds no noise to its sum`);
    }
    return zcdpCharge('distributed', rho, privacy.delta, {
      clientSigma: privacy.deviceSigma * privacy.granularity,
    });
  }
  return {
    ok: true,
    charge: { mode: 'none', rho: Infinity, epsilon: Infinity, delta: 0, clientSigma: 0 },
  };
}

/**
 * Checks that doesn't need the round config: whether any budget is left at all. Used to refuse
 * before making a single request.
 * @param floor - the client's privacy floor
 * @param ledger - all ledger records (stubs included)
 * @returns a refusal when the lifetime budget is spent, else `undefined`
 */
export function budgetExhausted(
  floor: ResolvedPrivacyFloor,
  ledger: readonly ParticipationStub[],
): Refusal | undefined {
  const spent = spendOf(ledger).totalEpsilon;
  if (spent >= floor.lifetimeEpsilon) {
    return refuse(
      'budget-exhausted',
      `the lifetime privacy budget is spent (ε=${spent.toFixed(4)} of ${floor.lifetimeEpsilon})`,
    );
  }
  return undefined;
}

/**
 * The device's own participation rules, from its ledger (or the stub `forget()` left) and the
 * round's rules alone: at most one upload per round, at most one round in any `minRoundGap`
 * consecutive rounds, at most `maxParticipationsPerDevice` in its lifetime. They bound how many
 * releases one device contributes to, which is what makes one device the unit of privacy. The rule
 * itself is `participationRuleViolation` of `@privads/protocol`, which the simulator applies too.
 * @param config - the round
 * @param ledger - all ledger records
 * @returns a refusal, or `undefined` when the rules allow joining
 */
export function participationRuleRefusal(
  config: RoundConfig,
  ledger: readonly ParticipationStub[],
): Refusal | undefined {
  const violation = participationRuleViolation(
    config.roundId,
    config.participation,
    ledger.map((e) => e.roundId),
  );
  return violation && refuse(violation.reason, violation.message);
}

/** Inputs of {@link decideParticipation}. */
export interface ParticipationInput {
  readonly config: RoundConfig;
  readonly floor: ResolvedPrivacyFloor;
  /** Every ledger record, stubs included. */
  readonly ledger: readonly ParticipationStub[];
  /** Epoch milliseconds. */
  readonly now: number;
}

/**
 * Every rule a round must pass before anything is computed, in the order a reader would ask
 * about them: the floor (mode, ε per round), the round's state, this device's participation rules
 * and budget. Nothing here looks at the reader's data: whether a device takes part depends only on
 * the round, these rules and the sampling draw (made separately: once per round, remembered), so
 * taking part reveals nothing about what the reader did.
 * @param input - config, floor, ledger, clock
 * @returns the charge to record, or the first refusal
 */
export function decideParticipation(
  input: ParticipationInput,
): { ok: true; charge: RoundCharge } | Refusal {
  const { config, floor, ledger, now } = input;
  const mode = config.privacy.mode;
  if (!meetsPrivacyFloor(mode, floor.minimumMode)) {
    return refuse(
      'mode-below-floor',
      `round ${config.roundId} uses privacy mode "${mode}", weaker than this site's floor "${floor.minimumMode}"`,
    );
  }
  const priced = chargeOf(config);
  if (!priced.ok) return priced;
  const { charge } = priced;
  if (charge.epsilon > floor.maxEpsilonPerRound) {
    return refuse(
      'epsilon-above-floor',
      `round ${config.roundId} costs ε=${charge.epsilon.toFixed(4)}, above the floor's maximum ${floor.maxEpsilonPerRound} per round`,
    );
  }
  if (Date.parse(config.deadline) <= now) {
    return refuse('round-closed', `round ${config.roundId} closed at ${config.deadline}`);
  }
  const ruled = participationRuleRefusal(config, ledger);
  if (ruled) return ruled;
  const candidate = queuedLedgerEntry(config, charge, 0, now);
  const after = spendOf([...ledger, candidate]).totalEpsilon;
  if (after > floor.lifetimeEpsilon) {
    return refuse(
      'budget-exhausted',
      `joining round ${config.roundId} would bring the lifetime spend to ε=${after.toFixed(4)}, above the budget ${floor.lifetimeEpsilon}`,
    );
  }
  return { ok: true, charge };
}
