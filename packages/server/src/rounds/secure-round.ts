/**
 * One distributed round on the server: the SecAgg+ coordinator of `@privads/secagg` plus the
 * timing the coordinator leaves to its owner. The keys phase runs until `maxCohort` devices are in
 * or until `deadline − 3 × phaseSeconds`; every later phase ends as soon as everyone expected has
 * answered, or after `phaseSeconds`. The state lives in this process's memory only: the masked
 * inputs go through the store like any upload, but keys and shares do not, so a restart aborts the
 * round (nothing is released).
 */
import { SecAggCoordinator, type SecAggPhase } from '@privads/secagg';
import { SecAggError, type DistributedPrivacy, type RoundConfig } from '@privads/protocol';

/** What `GET /v1/rounds/{id}/secagg` answers. */
export interface SecureRoundStatus {
  /** The round. */
  readonly roundId: number;
  /** The protocol's phase. */
  readonly phase: SecAggPhase;
  /** When the phase ends at the latest (ISO 8601). */
  readonly phaseDeadline: string;
}

/** Whether the round can close, and how. */
export type SecureRoundOutcome = 'running' | 'releasable' | 'aborted';

/** The coordinator of one distributed round, with its deadlines. */
export class SecureRound {
  /** The round's config (distributed mode). */
  readonly config: RoundConfig & { privacy: DistributedPrivacy };
  /** The masking protocol's state. */
  readonly coordinator: SecAggCoordinator;
  readonly #phaseMs: number;
  #phaseDeadline: number;
  #pendingInputs = 0;
  #abortReason: string | undefined;

  /**
   * @param config - an open distributed round
   * @param phaseSeconds - longest duration of the shares, input and unmask phases
   * @throws RangeError when the round is not distributed or its parameters do not fit the protocol
   */
  constructor(config: RoundConfig, phaseSeconds: number) {
    const privacy = config.privacy;
    if (privacy.mode !== 'distributed') {
      throw new RangeError(`round ${config.roundId} is ${privacy.mode}, not distributed`);
    }
    this.config = { ...config, privacy };
    this.coordinator = new SecAggCoordinator({
      roundId: config.roundId,
      bits: privacy.bits,
      length: privacy.paddedDimension,
      threshold: privacy.threshold,
      degree: privacy.degree,
      maxCohort: privacy.maxCohort,
      minInputs: config.kMin,
    });
    this.#phaseMs = phaseSeconds * 1000;
    this.#phaseDeadline = Date.parse(config.deadline) - 3 * this.#phaseMs;
  }

  /** Why the round was aborted, if it was. */
  get abortReason(): string | undefined {
    return this.#abortReason;
  }

  /**
   * The public status: phase and deadline only. Counts stay with the operator, since live counts
   * would tell anyone polling how many readers take part right now.
   * @returns the round, its phase and the phase's deadline
   */
  status(): SecureRoundStatus {
    return {
      roundId: this.config.roundId,
      phase: this.coordinator.phase,
      phaseDeadline: new Date(this.#phaseDeadline).toISOString(),
    };
  }

  /**
   * Moves to the next phase when the current one is complete or past its deadline.
   * @param now - epoch ms
   * @returns whether the round can be closed now, and how
   */
  advance(now: number): SecureRoundOutcome {
    const c = this.coordinator;
    try {
      for (;;) {
        const due = now >= this.#phaseDeadline;
        // Counts only: this runs on every request, and the slot lists are sorted copies. Once the
        // shares phase closed, `shares` is |U₁| and `inputs` |U₂|; neither changes after its phase.
        const { shares, inputs, reveals } = c.counts;
        let moved = false;
        if (c.phase === 'keys' && (c.isFull || due)) {
          c.closeKeys();
          moved = true;
        } else if (c.phase === 'shares' && (shares === c.cohortSize || due)) {
          c.closeShares();
          moved = true;
        } else if (c.phase === 'input' && this.#pendingInputs === 0 && (inputs === shares || due)) {
          c.closeInputs();
          moved = true;
        } else if (c.phase === 'unmask' && (reveals === inputs || due)) {
          if (c.canFinish()) return 'releasable';
          this.#abortReason = `only ${reveals} of ${inputs} devices revealed: some secret lacks shares`;
          return 'aborted';
        }
        if (!moved) break;
        this.#phaseDeadline = now + this.#phaseMs;
      }
    } catch (error) {
      if (error instanceof SecAggError && error.code === 'SECAGG_TOO_FEW') {
        this.#abortReason = error.message;
        return 'aborted';
      }
      throw error;
    }
    return c.phase === 'aborted' ? 'aborted' : 'running';
  }

  /**
   * Checks that a masked input may be added, and holds the input phase open until
   * {@link SecureRound.endInput}: the store and the coordinator must agree exactly on who is in U₂.
   * @param ticket - the upload's nonce
   * @throws SecAggError `SECAGG_WRONG_PHASE`, `SECAGG_UNKNOWN_TICKET`, `SECAGG_DROPPED` or
   *   `SECAGG_CONFLICTING_REQUEST`; nothing changes then
   */
  beginInput(ticket: string): void {
    this.coordinator.checkInput(ticket);
    this.#pendingInputs++;
  }

  /**
   * Ends {@link SecureRound.beginInput}: admits the device into U₂ when the store accepted its input.
   * @param ticket - the upload's nonce
   * @param accepted - whether the store counted the upload
   */
  endInput(ticket: string, accepted: boolean): void {
    this.#pendingInputs--;
    if (accepted) this.coordinator.admitInput(ticket);
  }
}
