/**
 * Evaluation of a scoring model on every user's held-out slates: ranking metrics over the full
 * catalog and, when the population logs real impressions, per-impression AUC.
 */
import type { Slate, UserTimeline } from '../population.js';
import {
  impressionAuc,
  MetricAverager,
  userRankingMetrics,
  type RankingMetrics,
} from './metrics.js';

/** What one user's held-out slates contribute to evaluation. */
export interface HeldOut {
  readonly user: number;
  /** Distinct clicked items of the held-out slates. */
  readonly positives: readonly number[];
  /** The last held-out click (leave-last-out target of HR@10). */
  readonly lastClick: number;
  readonly slates: readonly Slate[];
  /**
   * Items the user clicked in training, ranked below every other item (scored −∞) when set: the
   * usual full-catalog protocol on data without repeat consumption, where an item already clicked
   * is never a held-out click (RecBole's full-sort evaluation masks the history the same way).
   * Absent: every item is a candidate.
   */
  readonly excluded?: readonly number[];
}

/**
 * The held-out part of a timeline.
 * @param user - user index
 * @param timeline - the user's split timeline
 * @param excludeClicked - rank the items the user clicked in training last ({@link HeldOut.excluded})
 * @returns the held-out clicks, or `undefined` when the user has none
 */
export function heldOutOf(
  user: number,
  timeline: UserTimeline,
  excludeClicked = false,
): HeldOut | undefined {
  const positives = new Set<number>();
  let lastClick = -1;
  for (const slate of timeline.test) {
    slate.clicked.forEach((c, k) => {
      if (c !== 1) return;
      positives.add(slate.items[k]!);
      lastClick = slate.items[k]!;
    });
  }
  if (positives.size === 0) return undefined;
  const heldOut = { user, positives: [...positives], lastClick, slates: timeline.test };
  if (!excludeClicked) return heldOut;
  const clicked = new Set<number>();
  for (const slate of timeline.train)
    slate.clicked.forEach((c, k) => c === 1 && clicked.add(slate.items[k]!));
  return { ...heldOut, excluded: [...clicked] };
}

/** Scores of every catalog item for one user (higher is better). */
export type UserScorer = (user: number) => ArrayLike<number>;

/**
 * Averages the metrics of a scorer over held-out users.
 * @param heldOut - held-out clicks of the evaluated users
 * @param scorer - the model
 * @param withAuc - whether slates are logged impressions (AUC only makes sense then)
 * @returns averaged metrics
 */
export function evaluateScorer(
  heldOut: readonly HeldOut[],
  scorer: UserScorer,
  withAuc: boolean,
): RankingMetrics {
  const average = new MetricAverager();
  for (const h of heldOut) {
    const scores = scorer(h.user);
    average.addUser(userRankingMetrics(rankable(scores, h.excluded), h.positives, h.lastClick));
    if (!withAuc) continue;
    for (const slate of h.slates) {
      average.addImpression(
        impressionAuc(
          Array.from(slate.items, (item) => scores[item]!),
          slate.clicked,
        ),
      );
    }
  }
  return average.result();
}

/** The scores with the excluded items at −∞ (the scores themselves when nothing is excluded). */
function rankable(
  scores: ArrayLike<number>,
  excluded: readonly number[] | undefined,
): ArrayLike<number> {
  if (excluded === undefined || excluded.length === 0) return scores;
  const out = Float64Array.from(scores);
  for (const item of excluded) out[item] = -Infinity;
  return out;
}

/**
 * Dot products of one user vector with every row of a row-major matrix (cosines when both are
 * unit vectors, as user vectors and projected catalog rows are).
 * @param user - user vector (`dim`)
 * @param rows - `count × dim` matrix
 * @param dim - row length
 * @returns one score per row
 */
export function dotScores(user: Float32Array, rows: Float32Array, dim: number): Float64Array {
  const count = rows.length / dim;
  const out = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let s = 0;
    const base = r * dim;
    for (let i = 0; i < dim; i++) s += user[i]! * rows[base + i]!;
    out[r] = s;
  }
  return out;
}

/**
 * An evenly spaced subset, in order (evaluation subsets that cover the whole user range).
 * @param list - the full list
 * @param k - the most entries to keep
 * @returns `list` itself when it has at most `k` entries, else `k` entries spread over it
 */
export function evenlySpaced<T>(list: readonly T[], k: number): T[] {
  if (list.length <= k) return [...list];
  return Array.from({ length: k }, (_, i) => list[Math.floor((i * list.length) / k)]!);
}
