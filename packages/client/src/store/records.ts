/**
 * Records the client keeps on the device. Nothing here is ever sent: uploads are built from these
 * records but contain only the clipped, noised round update (DESIGN §4).
 */

import type { PrivacyMode } from '@privads/protocol';

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
 * One participation. Written (durably) before the upload leaves, so a crash can only over-count
 * the privacy spend, never under-count it.
 */
export interface LedgerEntry {
  /** Auto-increment key, set by the store. */
  readonly id?: number;
  /** Round the update belongs to. */
  readonly roundId: number;
  /** Projector version the gradient was computed for. */
  readonly projectorVersion: number;
  /** Mode the round declared. */
  readonly mode: PrivacyMode;
  /**
   * ε charged for this participation alone at {@link LedgerEntry.delta}: local, the upload's own
   * (verified) ε; central, the ε of one Gaussian release with the round's noise multiplier; none, ∞.
   */
  readonly epsilon: number;
  /** δ of the same guarantee (0 for mode `none`). */
  readonly delta: number;
  /** Central mode: the noise multiplier z, kept so that participations compose under RDP. */
  readonly noiseMultiplier?: number;
  /** Body size in bytes. */
  readonly bytes: number;
  /** Epoch milliseconds when the update was computed. */
  readonly at: number;
  /** Where the upload stands. */
  readonly status: LedgerStatus;
  /** Epoch milliseconds of the last status change. */
  readonly statusAt: number;
}

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
  /** The sampling draw of the latest round seen: drawn once per round, never re-drawn. */
  sampling: { readonly roundId: number; readonly selected: boolean };
}

/** Cached immutable downloads, keyed by version. */
export type BlobKind = 'catalog' | 'projector';
