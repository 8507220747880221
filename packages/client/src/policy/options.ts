/**
 * Configuration of the on-device ranking policy. Types only plus defaults and validation, so the
 * main-thread entry can re-export them without pulling in the policy code.
 */

/** At most `maxImpressions` impressions of one ad per reader within `windowMs`. */
export interface FrequencyCapOptions {
  /**
   * Impressions allowed per ad within the window; an ad at the cap is not shown (the cap is hard:
   * a slate comes back shorter rather than break it).
   * @defaultValue 3
   */
  readonly maxImpressions: number;
  /**
   * Sliding window, in milliseconds.
   * @defaultValue 86_400_000 (24 hours)
   */
  readonly windowMs: number;
}

/** Spread one slate across advertisers. */
export interface DiversityOptions {
  /**
   * Ads of one advertiser per slate. Soft: relaxed only when the catalog cannot fill the slots.
   * @defaultValue 1
   */
  readonly maxPerAdvertiser: number;
}

/** How much the ranking explores beyond the best-scoring ads. */
export type ExplorationOptions =
  | { readonly kind: 'none' }
  /** Each slot, with probability `epsilon`, shows a uniformly random eligible ad from the catalog. */
  | { readonly kind: 'epsilon-greedy'; readonly epsilon: number }
  /**
   * Thompson-style sampling: each candidate's score is perturbed by `N(0, scale² / (1 + n))`, `n`
   * the ad's impressions in the frequency window, so rarely seen ads get more uncertainty.
   */
  | { readonly kind: 'thompson'; readonly scale: number };

/** Everything the ranking policy can be told. `false` disables a rule. */
export interface RankingPolicyOptions {
  /** @defaultValue `{ maxImpressions: 3, windowMs: 86_400_000 }` */
  readonly frequencyCap?: FrequencyCapOptions | false;
  /** @defaultValue `{ maxPerAdvertiser: 1 }` */
  readonly diversity?: DiversityOptions | false;
  /** @defaultValue `{ kind: 'none' }` */
  readonly exploration?: ExplorationOptions;
  /**
   * Candidates fetched from the scoring engine per slot, before the rules filter them.
   * @defaultValue 8
   */
  readonly candidatesPerSlot?: number;
}

/** {@link RankingPolicyOptions} with every default applied. */
export interface ResolvedPolicy {
  readonly frequencyCap: FrequencyCapOptions | false;
  readonly diversity: DiversityOptions | false;
  readonly exploration: ExplorationOptions;
  readonly candidatesPerSlot: number;
}

/** Defaults of {@link RankingPolicyOptions}. */
export const DEFAULT_POLICY: ResolvedPolicy = Object.freeze({
  frequencyCap: Object.freeze({ maxImpressions: 3, windowMs: 86_400_000 }),
  diversity: Object.freeze({ maxPerAdvertiser: 1 }),
  exploration: Object.freeze({ kind: 'none' }),
  candidatesPerSlot: 8,
});

function positive(name: string, value: number, integer: boolean): number {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}

/**
 * Applies defaults and validates.
 * @param options - caller options (may be undefined)
 * @returns the complete policy
 * @throws RangeError quoting the first out-of-range value
 */
export function resolvePolicy(options: RankingPolicyOptions | undefined): ResolvedPolicy {
  const o = options ?? {};
  const cap = o.frequencyCap ?? DEFAULT_POLICY.frequencyCap;
  if (cap !== false) {
    positive('frequencyCap.maxImpressions', cap.maxImpressions, true);
    positive('frequencyCap.windowMs', cap.windowMs, false);
  }
  const diversity = o.diversity ?? DEFAULT_POLICY.diversity;
  if (diversity !== false) positive('diversity.maxPerAdvertiser', diversity.maxPerAdvertiser, true);
  const exploration = o.exploration ?? DEFAULT_POLICY.exploration;
  if (exploration.kind === 'epsilon-greedy') {
    const e = exploration.epsilon;
    if (!(e >= 0 && e <= 1))
      throw new RangeError(`exploration.epsilon must be in [0, 1], got ${e}`);
  } else if (exploration.kind === 'thompson') {
    const s = exploration.scale;
    if (!(s >= 0) || !Number.isFinite(s)) {
      throw new RangeError(`exploration.scale must be a finite number >= 0, got ${s}`);
    }
  } else if (exploration.kind !== 'none') {
    throw new RangeError(
      `exploration.kind must be none, epsilon-greedy or thompson, got ${String((exploration as { kind: unknown }).kind)}`,
    );
  }
  const candidatesPerSlot = positive(
    'candidatesPerSlot',
    o.candidatesPerSlot ?? DEFAULT_POLICY.candidatesPerSlot,
    true,
  );
  return { frequencyCap: cap, diversity, exploration, candidatesPerSlot };
}
