/**
 * Records the client keeps on the device. Nothing here is ever sent: uploads are built from these
 * records but contain only the clipped, noised round update (DESIGN §4).
 */

import type { PrivacyMode } from '@privads/protocol';
import type { RankingTimings } from '../types.js';

/** The reader's embedding in user space. */
export interface ProfileRecord {
  /** Unit vector, user dimension long. */
  readonly vector: Float32Array;
  /** Learning events applied so far (drives the EMA rate and tells cold from warm). */
  readonly updates: number;
  /** Increases by one per write; other tabs compare it to decide whether to re-read. */
  readonly revision: number;
  /** Epoch milliseconds of the last write. */
  readonly updatedAt: number;
}

/** One entry of the local event log (capped by count and age). */
export type EventRecord =
  | { readonly kind: 'impression'; readonly t: number; readonly adIds: readonly string[] }
  | {
      readonly kind: 'click';
      readonly t: number;
      readonly adId: string;
      /** Ad ids of the slate the click came from (the ad alone if no slate was recorded). */
      readonly slate: readonly string[];
    }
  | { readonly kind: 'hide'; readonly t: number; readonly adId: string }
  | { readonly kind: 'read'; readonly t: number; readonly dwellMs: number };

/** Status of one participation in the privacy ledger. */
export type LedgerStatus = 'queued' | 'sent' | 'rejected' | 'expired';

/**
 * What survives `forget()`: that this device joined a round and what it cost, nothing about when,
 * what it read or clicked. Enough to keep enforcing the participation rules (one upload per round,
 * the round gap, the lifetime cap) and the privacy budget after the reader's data is gone.
 */
export interface ParticipationStub {
  /** Auto-increment key, set by the store. */
  readonly id?: number;
  /** Round the update belongs to. */
  readonly roundId: number;
  /** Mode the round declared. */
  readonly mode: PrivacyMode;
  /**
   * ε charged for this participation alone at {@link ParticipationStub.delta}: the conversion of
   * {@link ParticipationStub.rho}; none, ∞. Never reduced by the round's sampling probability.
   */
  readonly epsilon: number;
  /** δ of the same guarantee (0 for mode `none`). */
  readonly delta: number;
  /**
   * zCDP ρ of this participation: local, 1/(2z²) with z = σ/Δ of the upload's own noise; central,
   * 1/(2z²) of the server's Gaussian; distributed, the distributed discrete Gaussian's ρ of the
   * round's encoding. What the ledger composes. Absent in records written before it was kept:
   * they are priced from {@link ParticipationStub.noiseMultiplier}.
   */
  readonly rho?: number;
  /** The Gaussian noise multiplier z of the release (local and central modes). */
  readonly noiseMultiplier?: number;
}

/**
 * One participation. Written (durably) before the upload leaves, so a crash can only over-count
 * the privacy spend, never under-count it. `forget()` reduces it to its {@link ParticipationStub}.
 */
export interface LedgerEntry extends ParticipationStub {
  /** Projector version the gradient was computed for. */
  readonly projectorVersion: number;
  /** Body size in bytes. */
  readonly bytes: number;
  /** Epoch milliseconds when the update was computed. */
  readonly at: number;
  /** Where the upload stands. */
  readonly status: LedgerStatus;
  /** Epoch milliseconds of the last status change. */
  readonly statusAt: number;
}

/** A ledger record: a full entry, or the stub `forget()` left of one. */
export type LedgerRecord = LedgerEntry | ParticipationStub;

/**
 * @param record - a ledger record
 * @returns whether it still holds the upload's details (it was not reduced by `forget()`)
 */
export function isFullEntry(record: LedgerRecord): record is LedgerEntry {
  return 'status' in record;
}

/**
 * The stub of a ledger record: the fields {@link ParticipationStub} names, and no other.
 * @param record - a full entry or a stub
 * @returns a new stub
 */
export function stubOf(record: LedgerRecord): ParticipationStub {
  const { id, roundId, mode, epsilon, delta, rho, noiseMultiplier } = record;
  return {
    ...(id === undefined ? {} : { id }),
    roundId,
    mode,
    epsilon,
    delta,
    ...(rho === undefined ? {} : { rho }),
    ...(noiseMultiplier === undefined ? {} : { noiseMultiplier }),
  };
}

/** Settings that are part of the participation stub: `forget()` keeps them. */
export const STUB_SETTINGS: readonly (keyof Settings)[] = ['sampling', 'paused'];

/** An upload waiting to be (re)sent; survives reloads. */
export interface OutboxItem {
  /** Round id; one item per round at most. */
  readonly roundId: number;
  /** Ledger entry to update when the upload settles. */
  readonly ledgerId: number;
  /** Absolute URL of the upload endpoint. */
  readonly url: string;
  /** Encoded update (from `encodeUpdate`). */
  readonly body: ArrayBuffer;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Epoch milliseconds before which no retry is made. */
  readonly nextAttemptAt: number;
  /** Epoch milliseconds after which the round no longer accepts it. */
  readonly deadline: number;
}

/** Small key–value settings. */
export interface Settings {
  /** The reader paused learning and uploads. */
  paused: boolean;
  /** Epoch milliseconds of the last computed participation (events before it are spent). */
  lastParticipationAt: number;
  /** Newest catalog version in the cache. */
  catalogVersion: number;
  /** Epoch milliseconds of the last check for a newer catalog. */
  catalogCheckedAt: number;
  /** The PQ index the newest cached catalog announced (absent when it announced none). */
  catalogPqIndex: { readonly catalogVersion: number; readonly url: string };
  /** The sampling draw of the latest round seen: drawn once per round, never re-drawn. */
  sampling: { readonly roundId: number; readonly selected: boolean };
  /**
   * What `pqIndex: 'auto'` measured for a catalog version with the engine it timed, so that later
   * page loads do not time it again (nor load an index that lost).
   */
  rankingChoice: {
    readonly catalogVersion: number;
    readonly engine: string;
    readonly path: 'pq-index' | 'exact';
    readonly timings: RankingTimings;
  };
}

/** Cached immutable downloads, keyed by version. */
export type BlobKind = 'catalog' | 'projector' | 'pq-index';
