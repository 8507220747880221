/**
 * What the federation loop needs from an aggregation server (Flower's `Strategy` seen from the
 * clients): the open round's config and projector, a place to upload, and the round close. The
 * real server (`@privads/server`, in-process through its Fetch handler or over HTTP) implements it
 * in `server-aggregator.ts`. There is deliberately no second implementation of the server's
 * arithmetic: a simulated round is aggregated by the same code as a real one.
 */
import type { CatalogContent } from './catalog.js';
import type { RandomSource } from '@privads/dp';
import type { Projector, ProjectorSpec } from '@privads/model';
import type { SecureRoundStep, SecureRoundTransport } from '@privads/model/secure-upload';
import type { RoundConfig } from '@privads/protocol';

/** What a round close reports. */
export interface RoundOutcome {
  /** Whether an aggregate was released (cohort ≥ k_min) and the projector moved. */
  readonly released: boolean;
  readonly cohortSize: number;
}

/** An aggregation server as the simulated clients and the loop see it. */
export interface Aggregator {
  /** The open round's config. */
  roundConfig(): Promise<RoundConfig>;
  /** The projector a round config names (the caller disposes it). */
  projector(version: number): Promise<Projector>;
  /**
   * Uploads one encoded update to the open round.
   * @throws when the server refuses it
   */
  submit(body: Uint8Array): Promise<void>;
  /**
   * Closes the open round and opens the next: a float-mode round by the operator's call, a
   * distributed one by letting its protocol end (passing the deadlines of phases nobody answers).
   */
  close(): Promise<RoundOutcome>;
  /**
   * The update a closed round released (the operator's read of `/v1/rounds/{id}/aggregate`).
   * @param roundId - a closed round
   * @returns the released mean update, or `undefined` when the round released nothing
   */
  aggregate(roundId: number): Promise<Float32Array | undefined>;
  /**
   * The per-ad counts a closed round released with its aggregate (format version 2 of the
   * aggregate release), in count units with their noise std.
   * @param roundId - a closed round
   * @returns the noised totals, or `undefined` when the round released none
   */
  releasedCounts(roundId: number): Promise<SimReleasedCounts | undefined>;
  /** How simulated devices reach the server in a distributed round (the browser's own requests). */
  readonly transport: SecureRoundTransport;
  /**
   * Moves the server's clock to the deadline of a distributed round's phase, if the round is still
   * in it: the devices that have not answered count as gone.
   * @param roundId - the round
   * @param phase - the phase to end
   */
  passPhaseDeadline(roundId: number, phase: SecureRoundStep): Promise<void>;
  /** Releases resources (stops an in-process server). */
  dispose(): Promise<void>;
}

/** A round's released per-ad counts, as the operator reads them. */
export interface SimReleasedCounts {
  readonly impressions: Float32Array;
  readonly clicks: Float32Array;
  /** Std of each count's noise. */
  readonly sigma: number;
}

/** The per-ad counts query of a run (the server's `round.counts`), and the catalog it counts. */
export interface SimCountsSettings {
  /** i: impressions one device reports per round, at most. */
  readonly maxImpressions: number;
  /** c: clicks one device reports per round, at most. */
  readonly maxClicks: number;
  /** The counts segment's L2 bound as a fraction of C. */
  readonly normShare: number;
  /** The catalog's content vectors, imported into the server so that its rounds count its ads. */
  readonly content: CatalogContent;
}

/** The secure-aggregation parameters of a distributed run (the server's `round.privacy`). */
export interface DistributedMasking {
  /** Modulus 2^bits of the secure sum. */
  readonly bits: number;
  /** Shamir threshold t (t ≤ degree < 2t, t < kMin). */
  readonly threshold: number;
  /** Neighbours per device (even). */
  readonly degree: number;
  /** Most devices one round admits. */
  readonly maxCohort: number;
  /** Longest wait of each phase after the keys phase, seconds. */
  readonly phaseSeconds: number;
}

/** The privacy settings a simulation configures its server with. */
export type SimPrivacy =
  | { readonly mode: 'none' }
  | {
      readonly mode: 'central';
      readonly noiseMultiplier: number;
      readonly delta: number;
      readonly targetEpsilon?: number;
    }
  | { readonly mode: 'local'; readonly epsilon: number; readonly delta: number }
  | ({
      readonly mode: 'distributed';
      readonly noiseMultiplier: number;
      readonly delta: number;
    } & DistributedMasking);

/** Server optimizers a simulation can configure (those of `@privads/server`). */
export type ServerOptimizerKind = 'fedavg' | 'fedadam';

/** FedAdam's second-moment decay: Reddi et al. (2021) use 0.99 throughout. */
export const FEDADAM_BETA2 = 0.99;
/** FedAdam's default τ: Reddi et al. (2021) found 10⁻³ best or near best on most tasks. */
export const FEDADAM_TAU = 1e-3;

/** Server-side settings a simulation passes to its aggregator. */
export interface AggregatorSettings {
  readonly spec: ProjectorSpec;
  /** Seed of projector version 1 (the bootstrap), as the server's `projector.seed`. */
  readonly projectorSeed: number;
  readonly clipNorm: number;
  readonly privacy: SimPrivacy;
  /** Poisson sampling probability announced to devices. */
  readonly samplingProbability: number;
  /** Lifetime cap k of participations per device (the unit of privacy). */
  readonly maxParticipationsPerDevice: number;
  /** Fewest rounds between two participations of one device (b). */
  readonly minRoundGap: number;
  /** Divisor of the sum: the expected cohort (fixed, as recommended with central DP). */
  readonly denominator: number;
  readonly kMin: number;
  /** Server learning rate η of either optimizer. */
  readonly serverLearningRate: number;
  /** FedAvg: momentum β; FedAdam: first-moment decay β₁. */
  readonly serverMomentum: number;
  /**
   * The server's optimizer (`@privads/server`'s `optimizer.kind`); FedAdam takes β₂ =
   * {@link FEDADAM_BETA2} and τ = {@link AggregatorSettings.serverAdamTau}.
   * @defaultValue 'fedavg'
   */
  readonly serverOptimizer?: ServerOptimizerKind;
  /** FedAdam: adaptivity τ, the floor of the denominator. @defaultValue {@link FEDADAM_TAU} */
  readonly serverAdamTau?: number;
  /** Randomness of the central noise (seeded in simulations for reproducibility). */
  readonly source: RandomSource;
  /** Per-ad counts released with the gradient (absent: none). */
  readonly counts?: SimCountsSettings;
}
