/**
 * Ranking metrics over the full catalog, and AUC on logged impressions. Every user counts once;
 * reports average over users with at least one held-out click (AUC: over impressions holding both
 * a click and a non-click, as in the MIND benchmark's per-impression AUC).
 *
 * Definitions (binary relevance, positives = distinct items clicked in the user's held-out slates):
 * - Recall@K = |top-K ∩ positives| / |positives|
 * - NDCG@K = Σ_{r ≤ K, item_r ∈ positives} 1/log₂(r + 1) / Σ_{r ≤ min(K, |positives|)} 1/log₂(r + 1)
 * - MRR = 1 / rank of the best-ranked positive
 * - HR@10 (leave-last-out) = 1 when the user's last held-out click is in the top 10, else 0
 * Ties in score are broken by catalog index (lower first), so results are deterministic.
 */

/** The metrics of one model, averaged over users (AUC over impressions; `null` without any). */
export interface RankingMetrics {
  readonly recallAt10: number;
  readonly recallAt50: number;
  readonly ndcgAt10: number;
  readonly mrr: number;
  readonly hitRateAt10: number;
  readonly auc: number | null;
  /** Users evaluated. */
  readonly users: number;
  /** Impressions the AUC averages over. */
  readonly impressions: number;
}

/** Per-user ranking metrics (before averaging). */
export interface UserRankingMetrics {
  readonly recallAt10: number;
  readonly recallAt50: number;
  readonly ndcgAt10: number;
  readonly mrr: number;
  readonly hitRateAt10: number;
}

/**
 * 1-based rank of `item` among `scores` (higher first, ties by lower index first).
 * @param scores - one score per catalog item
 * @param item - catalog index
 * @returns the rank, 1 … scores.length
 */
export function rankOf(scores: ArrayLike<number>, item: number): number {
  const s = scores[item]!;
  let rank = 1;
  for (let j = 0; j < scores.length; j++) {
    const t = scores[j]!;
    if (t > s || (t === s && j < item)) rank++;
  }
  return rank;
}

/**
 * Ranking metrics of one user.
 * @param scores - one score per catalog item
 * @param positives - distinct held-out clicked items (non-empty)
 * @param lastClick - the user's last held-out click (for HR@10)
 * @returns the user's metrics
 * @throws RangeError when `positives` is empty
 */
export function userRankingMetrics(
  scores: ArrayLike<number>,
  positives: readonly number[],
  lastClick: number,
): UserRankingMetrics {
  if (positives.length === 0) throw new RangeError('positives must not be empty');
  const ranks = [...new Set(positives)].map((item) => rankOf(scores, item)).sort((a, b) => a - b);
  const count = ranks.length;
  const hitsAt = (k: number): number => ranks.filter((r) => r <= k).length;
  let dcg = 0;
  for (const r of ranks) if (r <= 10) dcg += 1 / Math.log2(r + 1);
  let idcg = 0;
  for (let r = 1; r <= Math.min(10, count); r++) idcg += 1 / Math.log2(r + 1);
  return {
    recallAt10: hitsAt(10) / count,
    recallAt50: hitsAt(50) / count,
    ndcgAt10: dcg / idcg,
    mrr: 1 / ranks[0]!,
    hitRateAt10: rankOf(scores, lastClick) <= 10 ? 1 : 0,
  };
}

/**
 * AUC of one impression: the probability that a clicked item outscores a non-clicked one (ties
 * count one half).
 * @param scores - scores of the impression's items
 * @param clicked - 1 for a clicked item, 0 otherwise
 * @returns the AUC, or `undefined` when the impression lacks a click or a non-click
 */
export function impressionAuc(
  scores: ArrayLike<number>,
  clicked: ArrayLike<number>,
): number | undefined {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (clicked[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (clicked[j] === 1) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins++;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return pairs === 0 ? undefined : wins / pairs;
}

/** Averages per-user metrics and per-impression AUCs. */
export class MetricAverager {
  #users = 0;
  #impressions = 0;
  #auc = 0;
  readonly #sums = { recallAt10: 0, recallAt50: 0, ndcgAt10: 0, mrr: 0, hitRateAt10: 0 };

  /** @param metrics - one user's metrics */
  addUser(metrics: UserRankingMetrics): void {
    this.#users++;
    for (const key of Object.keys(this.#sums) as (keyof UserRankingMetrics)[]) {
      this.#sums[key] += metrics[key];
    }
  }

  /** @param auc - one impression's AUC (ignored when undefined) */
  addImpression(auc: number | undefined): void {
    if (auc === undefined) return;
    this.#impressions++;
    this.#auc += auc;
  }

  /** @returns the averages (zeros when no user was added) */
  result(): RankingMetrics {
    const mean = (x: number): number => (this.#users === 0 ? 0 : x / this.#users);
    return {
      recallAt10: mean(this.#sums.recallAt10),
      recallAt50: mean(this.#sums.recallAt50),
      ndcgAt10: mean(this.#sums.ndcgAt10),
      mrr: mean(this.#sums.mrr),
      hitRateAt10: mean(this.#sums.hitRateAt10),
      auc: this.#impressions === 0 ? null : this.#auc / this.#impressions,
      users: this.#users,
      impressions: this.#impressions,
    };
  }
}
