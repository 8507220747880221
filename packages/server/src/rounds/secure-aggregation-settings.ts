/**
 * Settings of the distributed mode (secure aggregation with distributed discrete Gaussian noise),
 * their defaults and their validation. Kept apart from the general config because the masking
 * protocol adds rules of its own: t > k/2 so that a lying server can never collect both secrets of
 * one device, and k_min ≥ t + 1.
 */
import { MAX_SECURE_SUM_BITS, MIN_SECURE_SUM_BITS } from '@privads/protocol';

/** Longest duration of the shares, input and unmask phases unless configured, seconds. */
export const DEFAULT_PHASE_SECONDS = 60;

/** The distributed mode as an operator configures it. */
export interface DistributedPrivacySettings {
  /** Discriminant. */
  mode: 'distributed';
  /** z: noise std of the sum of k_min devices' shares, in units of C (> 0). */
  noiseMultiplier: number;
  /** δ of the accounting. */
  delta: number;
  /** Modulus 2^bits of the secure sum (integer 8 ‥ 20). @defaultValue 20 */
  bits?: number;
  /** Neighbours per device in the masking graph (even ≥ 2). @defaultValue 32 */
  degree?: number;
  /** Shamir threshold t, with degree/2 < t ≤ degree. @defaultValue degree/2 + 1 */
  threshold?: number;
  /** Most devices one round admits (≥ k_min). @defaultValue 10 × k_min */
  maxCohort?: number;
  /** Longest duration of the shares, input and unmask phases, seconds (> 0). @defaultValue 60 */
  phaseSeconds?: number;
}

/** {@link DistributedPrivacySettings} with every default applied. */
export type ResolvedSecureAggregation = Required<Omit<DistributedPrivacySettings, 'mode'>>;

/**
 * Applies the defaults.
 * @param settings - the configured block
 * @param kMin - the round template's k_min
 * @returns every setting
 */
export function resolveSecureAggregation(
  settings: DistributedPrivacySettings,
  kMin: number,
): ResolvedSecureAggregation {
  const degree = settings.degree ?? 32;
  return {
    noiseMultiplier: settings.noiseMultiplier,
    delta: settings.delta,
    bits: settings.bits ?? MAX_SECURE_SUM_BITS,
    degree,
    threshold: settings.threshold ?? Math.floor(degree / 2) + 1,
    maxCohort: settings.maxCohort ?? 10 * kMin,
    phaseSeconds: settings.phaseSeconds ?? DEFAULT_PHASE_SECONDS,
  };
}

/**
 * Checks the distributed block against the round template.
 * @param settings - the configured block
 * @param round - k_min and the round length
 * @throws RangeError naming the first invalid field and its value
 */
export function checkSecureAggregation(
  settings: DistributedPrivacySettings,
  round: { kMin: number; durationSeconds: number },
): void {
  const s = resolveSecureAggregation(settings, round.kMin);
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new RangeError(`round.privacy.${field} must be ${rule}, got ${String(value)}`);
  };
  if (!(s.noiseMultiplier > 0 && Number.isFinite(s.noiseMultiplier))) {
    fail('noiseMultiplier', 'a number > 0', s.noiseMultiplier);
  }
  if (!(s.delta > 0 && s.delta < 1)) fail('delta', 'in (0, 1)', s.delta);
  if (!(Number.isInteger(s.bits) && s.bits >= MIN_SECURE_SUM_BITS && s.bits <= MAX_SECURE_SUM_BITS))
    fail('bits', `an integer in [${MIN_SECURE_SUM_BITS}, ${MAX_SECURE_SUM_BITS}]`, s.bits);
  if (!(Number.isInteger(s.degree) && s.degree >= 2 && s.degree % 2 === 0))
    fail('degree', 'an even integer >= 2', s.degree);
  // t > k/2: otherwise a server that lies about who dropped could gather both secrets of a device.
  if (!(Number.isInteger(s.threshold) && 2 * s.threshold > s.degree && s.threshold <= s.degree))
    fail(
      'threshold',
      `an integer in (degree/2, degree] = (${s.degree / 2}, ${s.degree}]`,
      s.threshold,
    );
  if (round.kMin < s.threshold + 1) {
    fail('threshold', `at most kMin − 1 = ${round.kMin - 1} (kMin ≥ threshold + 1)`, s.threshold);
  }
  if (!(Number.isInteger(s.maxCohort) && s.maxCohort >= round.kMin))
    fail('maxCohort', `an integer >= kMin (${round.kMin})`, s.maxCohort);
  if (!(s.phaseSeconds > 0 && 3 * s.phaseSeconds < round.durationSeconds)) {
    fail(
      'phaseSeconds',
      `> 0 with 3 × phaseSeconds < durationSeconds (${round.durationSeconds})`,
      s.phaseSeconds,
    );
  }
}
