/**
 * The ranking with the popularity prior, as the browser client ranks (`score = cos(u, p_ad) +
 * w · prior(ad)`, `popularityBias` of `@privads/model`, the one implementation the client's ranker
 * uses), and the choice of w on a validation split of the training slates: every user's last
 * clicked training slates (`validationSplit`, as the centralized baseline's selection), scored
 * with the device's vector from just before it learned them and the clicks released before the
 * validation period. The test split is never looked at.
 */
import { DEFAULT_TEMPERATURE, popularityBias } from '@privads/model';
import {
  evaluateScorer,
  dotScores,
  evenlySpaced,
  heldOutOf,
  type HeldOut,
} from '../eval/evaluate.js';
import type { RankingMetrics } from '../eval/metrics.js';
import { validationSplit, type UserTimeline } from '../population.js';
import { VALIDATION_FRACTION } from './centralized.js';
import type { DeviceFleet } from './devices.js';

/** Candidate weights of the prior, smallest first (ties go to the smaller weight). */
export const PRIOR_WEIGHTS = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] as const;
/**
 * The prior's weight in the devices' scores while they learn, in the simulator's bias-aware run:
 * the client's softmax temperature (0.1, also the server's default `catalog.popularity.weight`),
 * so that `exp((cos + w·log share)/τ) = share · exp(cos/τ)` — a click's odds are the ad's click
 * share times the learned affinity, the logQ form — and the cosine is left to model the affinity.
 */
export const PRIOR_TRAINING_WEIGHT = DEFAULT_TEMPERATURE;
/** α of the prior: one pseudo-click per ad (the server's default). */
export const PRIOR_SMOOTHING = 1;

/** The selected weight and what the validation split said about each candidate. */
export interface PriorSelection {
  readonly weight: number;
  readonly validationNdcgAt10: number;
  readonly candidates: readonly { weight: number; ndcgAt10: number }[];
}

/**
 * Metrics of on-device user vectors with the prior.
 * @param fleet - user vectors
 * @param projected - the projected catalog
 * @param heldOut - users to evaluate
 * @param withAuc - impression AUC
 * @param bias - per-ad bias (`popularityBias`)
 * @returns averaged metrics
 */
export function evaluateWithPrior(
  fleet: DeviceFleet,
  projected: Float32Array,
  heldOut: readonly HeldOut[],
  withAuc: boolean,
  bias: Float32Array,
): RankingMetrics {
  return evaluateScorer(
    heldOut,
    (user) => {
      const scores = dotScores(fleet.vector(user), projected, fleet.userDim);
      for (let a = 0; a < scores.length; a++) scores[a]! += bias[a]!;
      return scores;
    },
    withAuc,
  );
}

/**
 * The validation split of a run: every user's last clicked training slates
 * (`validationSplit`, as the centralized baseline's selection) and where they start.
 * @param timelines - every user's timeline (only `train` is read)
 * @param validationUsers - most users scored
 * @param excludeClicked - rank each user's inner training clicks last, as the test evaluation does
 * @returns the held-out validation clicks, and per user the index of its first validation slate
 *   (−1 without one)
 */
export function priorValidation(
  timelines: readonly UserTimeline[],
  validationUsers = 3000,
  excludeClicked = false,
): { heldOut: HeldOut[]; cuts: number[] } {
  const inner = timelines.map((t) => validationSplit(t, VALIDATION_FRACTION));
  const heldOut = evenlySpaced(
    inner
      .map((t, u) => heldOutOf(u, t, excludeClicked))
      .filter((h): h is HeldOut => h !== undefined),
    validationUsers,
  );
  return { heldOut, cuts: inner.map((t) => (t.test.length === 0 ? -1 : t.train.length)) };
}

/**
 * Chooses w on the validation split: each user's vector as it was before it learned from its
 * validation slates, and the clicks released before the validation period began, so neither side
 * of the score has seen what it is judged on.
 * @param validation - the validation clicks ({@link priorValidation})
 * @param fleet - user vectors before the validation slates
 * @param projected - the run's final projected catalog
 * @param clicks - released clicks per ad before the validation period
 * @param withAuc - impression AUC (not used for the choice)
 * @returns the weight with the best validation NDCG@10 (the smaller one on a tie)
 */
export function choosePriorWeight(
  validation: readonly HeldOut[],
  fleet: DeviceFleet,
  projected: Float32Array,
  clicks: ArrayLike<number>,
  withAuc: boolean,
): PriorSelection {
  // The cosines do not depend on w: computed once per user, the weights only add their bias.
  const cosines = new Map(
    validation.map((h) => [h.user, dotScores(fleet.vector(h.user), projected, fleet.userDim)]),
  );
  const candidates = PRIOR_WEIGHTS.map((weight) => {
    const bias = popularityBias({ clicks, weight, smoothing: PRIOR_SMOOTHING });
    const scorer = (user: number): Float64Array => {
      const scores = Float64Array.from(cosines.get(user) as Float64Array);
      for (let a = 0; a < scores.length; a++) scores[a]! += bias[a]!;
      return scores;
    };
    return { weight, ndcgAt10: evaluateScorer(validation, scorer, withAuc).ndcgAt10 };
  });
  const best = candidates.reduce((a, b) => (b.ndcgAt10 > a.ndcgAt10 ? b : a));
  return { weight: best.weight, validationNdcgAt10: best.ndcgAt10, candidates };
}
