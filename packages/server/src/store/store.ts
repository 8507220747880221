/**
 * The store contract. Two implementations behave identically: the embedded store (a write-ahead
 * log in a directory) and the PostgreSQL store (several server instances may share one database).
 * Everything the server must not lose goes through it: rounds and their running sums, nonces,
 * projector and catalog versions, releases, optimizer state and the privacy ledger.
 *
 * Guarantees every implementation gives:
 * - `addUpdate` resolves `'accepted'` only once the update is durable, and accepts a nonce at most
 *   once per round (also across instances and restarts);
 * - `closeRound` runs `finalize` for a round at most once with success: the state change, the new
 *   versions, the release, the ledger entry and the next round are committed together or not at all;
 * - versions are immutable and numbered 1, 2, 3, … per kind.
 */
import type {
  PrivacyMode,
  ReleaseNoise,
  ReleasedCountsMetadata,
  RoundConfig,
} from '@privads/protocol';

import type { RoundAccumulator } from '../rounds/aggregator.js';

/** Kinds of published, immutable, versioned files. */
export type VersionKind = 'projector' | 'catalog';

/** A published version. */
export interface VersionInfo {
  /** What it is. */
  kind: VersionKind;
  /** Version number (1, 2, …). */
  version: number;
  /** Strong entity tag: quoted base64url SHA-256 of the bytes. */
  etag: string;
  /** Size in bytes. */
  byteLength: number;
  /** Publication time (ISO 8601). */
  createdAt: string;
  /** For catalogs: the projector version that produced the projected vectors. */
  projectorVersion?: number;
  /** For catalogs: the PQ index built from this very version's projected vectors, if any. */
  pqIndex?: PqIndexInfo;
}

/**
 * The PQ index (`PRVPQIDX`) kept with a catalog version. Its codes are only valid for the projected
 * vectors of that version, so it is written and committed together with the version, and a catalog
 * version without one has none (no other version's index is ever served in its place).
 */
export interface PqIndexInfo {
  /** Strong entity tag of the index bytes. */
  etag: string;
  /** Size in bytes. */
  byteLength: number;
  /** Sub-spaces per stage, as built (a re-projected catalog's index is built with the same). */
  stages: number[];
}

/** A catalog version's bytes and, optionally, its PQ index, as a publication or a round close gives them. */
export interface CatalogPublication {
  /** The catalog bundle. */
  bytes: Uint8Array;
  /** Its PQ index, built from the same projected vectors. */
  pqIndex?: { bytes: Uint8Array; stages: readonly number[] };
}

/** Why a round closed. */
/**
 * Why a round closed: its deadline, the operator, or its secure-aggregation protocol ending
 * (distributed mode: unmasked, or aborted with too few devices).
 */
export type CloseReason = 'deadline' | 'operator' | 'protocol';

/** How a round ended. */
export interface ClosedRoundInfo {
  /** `released`: an aggregate was published; `insufficient`: fewer than kMin updates, nothing released. */
  status: 'released' | 'insufficient';
  /** When it closed (ISO 8601). */
  closedAt: string;
  /** What closed it. */
  closedBy: CloseReason;
  /** Updates counted. */
  cohortSize: number;
  /** Divisor of the sum (the cohort size or the declared fixed denominator); 0 when nothing was released. */
  denominator: number;
  /** Accounted noise multiplier z of the release (0 without central noise). */
  noiseMultiplier: number;
  /** Per-coordinate noise std on the sum (central: z_Δ·C; local: the clients' σ; none: 0). */
  sigma: number;
  /**
   * Noise distribution of the release: exact discrete Gaussian on an integer grid (central: the
   * server's, on the 2^-32 grid of the exact sum; local: the devices'). Absent without noise.
   */
  noise?: ReleaseNoise;
  /** ε of this release at `delta` (null without a guarantee). */
  epsilon: number | null;
  /** δ of the guarantee (null without one). */
  delta: number | null;
  /** ε of all releases so far (null without a guarantee). */
  cumulativeEpsilon: number | null;
  /** Projector version published from this round. */
  newProjectorVersion?: number;
  /** Re-projected catalog version published from this round. */
  newCatalogVersion?: number;
  /** Adaptive clipping: the noised fraction of updates below C, and the next round's C. */
  adaptiveClipping?: { noisedFraction: number; nextClipNorm: number };
  /** The per-ad counts released with the gradient (rounds that asked for counts). */
  counts?: ReleasedCountsInfo;
  /** Distributed mode: why the secure aggregation released nothing (too few devices, lost state). */
  secureAggregationFailure?: string;
  /** Operator statistics of the round as seen by the closing instance (not differentially private). */
  stats?: RoundStats;
}

/** What a round's released per-ad counts are (bound, noise, ρ share), and their own ε. */
export interface ReleasedCountsInfo extends ReleasedCountsMetadata {
  /** ε(δ) of the counts alone, had nothing else been released (null without a guarantee). */
  epsilon: number | null;
}

/**
 * Operator statistics of one round: refusals by reason and a coarse histogram of the accepted
 * updates' norms before any server noise. Counts only, never individual updates.
 */
export interface RoundStats {
  /** Refused uploads by error code. */
  rejected: Record<string, number>;
  /** Norms of accepted uploads: `counts[i]` are ≤ `bounds[i]` and > `bounds[i-1]`; the last count is above every bound. */
  normHistogram: { bounds: number[]; counts: number[] };
}

/** A round as stored. */
export interface RoundRecord {
  /** The config clients received. */
  config: RoundConfig;
  /** Life cycle. */
  status: 'open' | 'released' | 'insufficient';
  /** When it opened (ISO 8601). */
  openedAt: string;
  /** Present once closed. */
  closed?: ClosedRoundInfo;
}

/** One release in the privacy ledger. */
export interface LedgerEntry {
  /** Round that released. */
  roundId: number;
  /** Release time (ISO 8601). */
  releasedAt: string;
  /** Privacy mode. */
  mode: PrivacyMode;
  /** Updates in the release. */
  cohortSize: number;
  /** Clip norm C. */
  clipNorm: number;
  /**
   * Accounted noise multiplier z (central: server noise; local: σ / (2C) of each upload;
   * distributed: of the sum of k_min devices' noise shares; none: 0).
   */
  noiseMultiplier: number;
  /**
   * zCDP cost ρ of one device's participation in this release (null for none). Absent in ledgers
   * written before per-device accounting: then ρ = 1/(2z²).
   */
  rho?: number | null;
  /** The participation probability the round announced (used only by the labelled amplified figure). */
  sampleRate: number;
  /** δ (null for none). */
  delta: number | null;
  /** ε of one device's participation in this release, no amplification (null for none). */
  epsilon: number | null;
  /**
   * The per-ad counts released with the gradient: their contribution bound and their part of
   * `rho` (absent when the round asked for no counts). `rho` and `epsilon` above cover both parts.
   */
  counts?: {
    /** i: most impressions one device could add. */
    maxImpressions: number;
    /** c: most clicks one device could add. */
    maxClicks: number;
    /** The counts' share of `rho` (null for none). */
    rho: number | null;
    /** The gradient's share of `rho` (null for none). */
    gradientRho: number | null;
  };
  /**
   * ε of one device over every release so far, no amplification: the `participationsAllowed`
   * most expensive releases composed (null for none).
   */
  cumulativeEpsilon: number | null;
  /** Most releases so far one device can have joined: min(k, ⌈rounds/b⌉, releases). */
  participationsAllowed?: number;
  /**
   * ε over every release *assuming participation is hidden from the observer* (amplification by
   * subsampling at `sampleRate`, RDP accountant). The server, the publisher page and the network
   * can all see who uploads, so this never holds against them; null where it does not apply.
   */
  epsilonIfParticipationHidden?: number | null;
}

/** What one accepted upload adds to the round's sum. */
export interface Contribution {
  /**
   * The vector to add: floats already re-clipped by the server, or (distributed mode) the masked
   * words, integers added as they are.
   */
  vector: Float32Array | Float64Array | Uint32Array;
  /** Whether the upload's norm was below the clip norm (adaptive clipping). */
  belowClip: boolean;
}

/**
 * Recomputes an accepted upload's contribution from its bytes. Stores keep uploads only until they
 * are folded into a running sum, and call this to fold (or to replay after a crash); it must be
 * deterministic and total for any body that was accepted.
 */
export type ContributionDecoder = (config: RoundConfig, body: Uint8Array) => Contribution;

/** Outcome of {@link Store.addUpdate}. */
export type AddUpdateResult = 'accepted' | 'duplicate' | 'closed';

/** Bytes of a version together with its description. */
export interface VersionBytes {
  /** Description. */
  info: VersionInfo;
  /** Content. */
  bytes: Uint8Array;
}

/** Everything a round close needs, read inside the store's exclusive section. */
export interface CloseContext {
  /** The round being closed. */
  round: RoundRecord;
  /** Count and exact sum of every accepted update. */
  totals: RoundAccumulator;
  /** The projector the round trained (its `projectorVersion`). */
  projector: VersionBytes;
  /** The newest catalog, to re-project (absent before the first import). */
  catalog?: VersionBytes;
  /** The optimizer state saved with the newest projector. */
  optimizerState?: Uint8Array;
  /** The ledger so far (for cumulative accounting). */
  ledger: readonly LedgerEntry[];
  /** Numbers to use for what this close publishes. */
  next: { roundId: number; projectorVersion: number; catalogVersion: number };
}

/** What a round close commits atomically. */
export interface CloseCommit {
  /** Outcome of the round. */
  closed: ClosedRoundInfo;
  /** Aggregate release bytes (when released). */
  release?: Uint8Array;
  /** New projector version bytes (numbered `next.projectorVersion`). */
  projector?: Uint8Array;
  /** New catalog bytes (numbered `next.catalogVersion`). */
  catalog?: Uint8Array;
  /** The new catalog's PQ index (only with `catalog`). */
  catalogPqIndex?: CatalogPublication['pqIndex'];
  /** Optimizer state to keep with the new projector. */
  optimizerState?: Uint8Array;
  /** Privacy ledger entry of the release. */
  ledgerEntry?: LedgerEntry;
  /** The round that opens next (id `next.roundId`). */
  nextRound: RoundConfig;
}

/** Inputs of a publication (catalog import). */
export interface PublishContext {
  /** The number the new version gets. */
  version: number;
  /** The newest projector, if any. */
  projector?: VersionBytes;
}

/** First contents of an empty store. */
export interface InitialState {
  /** Projector version 1. */
  projector: Uint8Array;
  /** Round 1 (trains projector version 1). */
  round: RoundConfig;
}

/** Result of {@link Store.closeRound}. */
export type CloseRoundResult =
  { outcome: 'closed'; record: RoundRecord; next: RoundRecord } | { outcome: 'not-open' };

/** Persistent state of the server. */
export interface Store {
  /** `embedded` or `postgres`. */
  readonly kind: 'embedded' | 'postgres';
  /**
   * Fills an empty store (projector 1, round 1); does nothing when it is already initialised.
   * Safe to call from several instances at once.
   * @param init - builds the initial state (called at most once)
   */
  initialize(init: () => Promise<InitialState>): Promise<void>;
  /** @returns the open round (there is at most one) */
  openRound(): Promise<RoundRecord | undefined>;
  /** @param roundId - a round id @returns that round */
  getRound(roundId: number): Promise<RoundRecord | undefined>;
  /**
   * Closed rounds with id greater than `after`, oldest first.
   * @param after - exclusive lower bound of the id
   * @param limit - most rounds returned
   */
  closedRounds(after: number, limit: number): Promise<RoundRecord[]>;
  /**
   * Adds one validated update to the open round, durably, unless its nonce was already used.
   * @param roundId - the round
   * @param nonce - the upload's nonce
   * @param body - the upload bytes (kept until folded into a running sum)
   * @param contribution - what to add
   * @returns `accepted`, `duplicate`, or `closed` when the round is not open (any more)
   */
  addUpdate(
    roundId: number,
    nonce: string,
    body: Uint8Array,
    contribution: Contribution,
  ): Promise<AddUpdateResult>;
  /**
   * Count and exact sum of the open round so far, over every instance.
   * @param roundId - the round
   * @returns undefined unless that round is open
   */
  roundTotals(roundId: number): Promise<RoundAccumulator | undefined>;
  /**
   * Closes the round exactly once, committing what `finalize` returns.
   * @param roundId - the round
   * @param finalize - computes the release from the totals (may throw: nothing changes then)
   * @returns `closed` with the closed and the next round, or `not-open`
   */
  closeRound(
    roundId: number,
    finalize: (context: CloseContext) => Promise<CloseCommit>,
  ): Promise<CloseRoundResult>;
  /**
   * Publishes a new version of `kind`, numbered after the newest.
   * @param kind - what to publish
   * @param build - makes the bytes (given the number and the newest projector); a catalog's may
   *   come with its PQ index, committed together with it
   * @returns the new version's description
   */
  publish(
    kind: VersionKind,
    build: (context: PublishContext) => Promise<Uint8Array | CatalogPublication>,
  ): Promise<VersionInfo>;
  /** @param kind - what @returns the newest version's description */
  latest(kind: VersionKind): Promise<VersionInfo | undefined>;
  /** @param kind - what @returns every version's description, oldest first */
  versions(kind: VersionKind): Promise<VersionInfo[]>;
  /** @param kind - what @param version - which @returns the version with its bytes */
  readVersion(kind: VersionKind, version: number): Promise<VersionBytes | undefined>;
  /**
   * @param catalogVersion - a catalog version
   * @returns the PQ index kept with it, if it has one
   */
  readPqIndex(catalogVersion: number): Promise<Uint8Array | undefined>;
  /** @param roundId - a released round @returns its aggregate release bytes */
  readRelease(roundId: number): Promise<Uint8Array | undefined>;
  /** @returns the privacy ledger, oldest first */
  ledger(): Promise<LedgerEntry[]>;
  /** Makes pending work durable and releases resources; the store is unusable afterwards. */
  close(): Promise<void>;
}
