/**
 * The device's participation rules as one pure function, shared by the browser client (which reads
 * its past rounds from its ledger) and the simulator (which keeps them per simulated device): at
 * most one upload per round, at most one round in any `minRoundGap` consecutive rounds, at most
 * `maxParticipationsPerDevice` in its lifetime. They bound how many releases one device is in,
 * which is what the per-device ε composes (`allowedParticipations` of `@privads/dp`).
 */
import type { ParticipationRules } from './round-config.js';

/** Why the rules refuse a round. */
export type ParticipationRuleReason = 'already-participated' | 'round-gap' | 'participation-limit';

/** A refusal by {@link participationRuleViolation}. */
export interface ParticipationRuleViolation {
  /** Stable reason. */
  readonly reason: ParticipationRuleReason;
  /** Explanation for the reader or developer. */
  readonly message: string;
}

/**
 * Whether a device that joined `joinedRounds` may join round `roundId` under `rules`. Nothing
 * here looks at the device's data, so the answer reveals nothing about what its reader did.
 * @param roundId - the round on offer
 * @param rules - the round's participation rules (only the gap and the lifetime cap matter)
 * @param joinedRounds - ids of every round the device already joined (or was charged for)
 * @returns the first rule that refuses, or `undefined` when the device may join
 */
export function participationRuleViolation(
  roundId: number,
  rules: Pick<ParticipationRules, 'minRoundGap' | 'maxParticipationsPerDevice'>,
  joinedRounds: readonly number[],
): ParticipationRuleViolation | undefined {
  const { minRoundGap: gap, maxParticipationsPerDevice: max } = rules;
  if (joinedRounds.includes(roundId)) {
    return {
      reason: 'already-participated',
      message: `this device already sent its update for round ${roundId}`,
    };
  }
  const near = joinedRounds.find((r) => Math.abs(r - roundId) < gap);
  if (near !== undefined) {
    return {
      reason: 'round-gap',
      message: `this device joined round ${near}; round ${roundId} is within the minimum gap of ${gap} rounds between two participations`,
    };
  }
  if (joinedRounds.length >= max) {
    return {
      reason: 'participation-limit',
      message: `this device already joined ${joinedRounds.length} rounds, the lifetime limit of ${max}`,
    };
  }
  return undefined;
}
