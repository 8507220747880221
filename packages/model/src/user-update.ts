/**
 * On-device learning of the user embedding `u` (DESIGN §2): the slate softmax loss, its analytic
 * gradient step, and the simpler EMA / push / pull rules. Plain f64 loops over the 128-d vectors —
 * no tfjs, no allocation beyond the result and one score buffer — so a click costs microseconds.
 */
import { checkVector, dotRow, normalizedCopy, rowNorm, type NumericArray } from './vector.js';

/** Softmax temperature τ used when the caller gives none. */
export const DEFAULT_TEMPERATURE = 0.1;
/** Step size of {@link userGradientStep} when the caller gives none (a step moves `u` by ≲ 0.1 rad). */
export const DEFAULT_USER_LEARNING_RATE = 0.01;
/** Weight of a negative signal (hide / "not interested") in {@link pushAway}. */
export const DEFAULT_NEGATIVE_WEIGHT = 0.05;
/** Weight of reading an article in {@link pullToward}: smaller than a click's EMA step (≤ 0.1). */
export const DEFAULT_READING_WEIGHT = 0.02;

/** Options of {@link userGradientStep}. */
export interface UserStepOptions {
  /**
   * Step size η of `u ← normalise(u − η ∇_u L)`.
   * @defaultValue {@link DEFAULT_USER_LEARNING_RATE}
   */
  learningRate?: number;
  /**
   * Softmax temperature τ.
   * @defaultValue {@link DEFAULT_TEMPERATURE}
   */
  temperature?: number;
}

/** Options of {@link userGradientStep}: the click rule's and the slate's own bias. */
export interface SlateStepOptions extends UserStepOptions {
  /**
   * Per-ad additive score bias of the slate (`n` entries, slate order): the popularity prior's
   * `w · prior(ad)` the ranking adds to the cosine. The softmax is then taken on `cos_j + b_j`, so
   * `u` learns what popularity does not already explain. Absent: no bias.
   */
  bias?: NumericArray;
}

function checkPositive(label: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`${label} must be > 0, got ${value}`);
}

/** Validates a slate (and its bias, when given) against `u` and returns its size. */
function slateSize(
  u: NumericArray,
  slate: NumericArray,
  clickedIndex: number,
  bias?: NumericArray,
): number {
  const d = u.length;
  checkVector('u', u);
  if (slate.length === 0 || slate.length % d !== 0) {
    throw new RangeError(
      `slate length must be a positive multiple of u.length = ${d}, got ${slate.length}`,
    );
  }
  checkVector('slate', slate);
  const n = slate.length / d;
  if (!Number.isInteger(clickedIndex) || clickedIndex < 0 || clickedIndex >= n) {
    throw new RangeError(`clickedIndex must be an integer in [0, ${n}), got ${clickedIndex}`);
  }
  if (bias !== undefined) checkVector('bias', bias, n);
  return n;
}

/**
 * Cosines `s_j = cos(u, p_j)` (0 for a zero row), softmax `π = softmax((s + b)/τ)` and the loss.
 * `uNorm > 0` is the caller's responsibility.
 */
function softmaxTerms(
  u: NumericArray,
  uNorm: number,
  slate: NumericArray,
  n: number,
  clickedIndex: number,
  temperature: number,
  bias: NumericArray | undefined,
): { cos: Float64Array; pNorm: Float64Array; prob: Float64Array; loss: number } {
  const d = u.length;
  const cos = new Float64Array(n);
  const pNorm = new Float64Array(n);
  const logit = new Float64Array(n);
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    pNorm[j] = rowNorm(slate, j, d);
    cos[j] = pNorm[j]! > 0 ? dotRow(u, slate, j) / (uNorm * pNorm[j]!) : 0;
    logit[j] = (cos[j]! + (bias?.[j] ?? 0)) / temperature;
    max = Math.max(max, logit[j]!);
  }
  const prob = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    prob[j] = Math.exp(logit[j]! - max);
    total += prob[j]!;
  }
  for (let j = 0; j < n; j++) prob[j]! /= total;
  const loss = max + Math.log(total) - logit[clickedIndex]!;
  return { cos, pNorm, prob, loss };
}

/**
 * Slate softmax loss `L = −log softmax((s + b)/τ)[c]`, `s_j = cos(u, p_j)`.
 * @param u - user vector (`Du` entries, non-zero)
 * @param slate - `n × Du` row-major projected ad vectors of the slate
 * @param clickedIndex - index `c` of the clicked ad in the slate
 * @param temperature - τ > 0
 * @param bias - per-ad score bias `b` of the slate (see {@link SlateStepOptions.bias}); none by default
 * @returns the loss (≥ 0)
 * @throws RangeError for mismatched lengths, an out-of-range index, τ ≤ 0, a zero `u` or non-finite input
 */
export function slateSoftmaxLoss(
  u: NumericArray,
  slate: NumericArray,
  clickedIndex: number,
  temperature: number = DEFAULT_TEMPERATURE,
  bias?: NumericArray,
): number {
  const n = slateSize(u, slate, clickedIndex, bias);
  checkPositive('temperature', temperature);
  const uNorm = nonZeroNorm(u);
  return softmaxTerms(u, uNorm, slate, n, clickedIndex, temperature, bias).loss;
}

function nonZeroNorm(u: NumericArray): number {
  const norm = rowNorm(u, 0, u.length);
  if (!(norm > 0)) throw new RangeError('u must be a non-zero vector');
  return norm;
}

/**
 * One gradient step on `u` for the slate softmax loss, then re-normalisation:
 * `u ← normalise(u − η ∇_u L)` with
 * `∇_u L = Σ_j (π_j − [j = c]) / τ · (p̂_j − s_j û) / ‖u‖` (`p̂`, `û` unit vectors,
 * `π = softmax((s + b)/τ)` with the slate's bias `b`, when given).
 * The gradient is tangent to the sphere at `u`, so for a small η the loss decreases.
 * @param u - current user vector (not modified)
 * @param slate - `n × Du` projected ad vectors of the slate
 * @param clickedIndex - the clicked ad
 * @param options - `learningRate`, `temperature`, the slate's `bias`
 * @returns a new unit vector
 * @throws RangeError for invalid inputs (see {@link slateSoftmaxLoss}) or η ≤ 0
 */
export function userGradientStep(
  u: NumericArray,
  slate: NumericArray,
  clickedIndex: number,
  options: SlateStepOptions = {},
): Float32Array {
  const learningRate = options.learningRate ?? DEFAULT_USER_LEARNING_RATE;
  const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  checkPositive('learningRate', learningRate);
  checkPositive('temperature', temperature);
  const n = slateSize(u, slate, clickedIndex, options.bias);
  const d = u.length;
  const uNorm = nonZeroNorm(u);
  const { cos, pNorm, prob } = softmaxTerms(
    u,
    uNorm,
    slate,
    n,
    clickedIndex,
    temperature,
    options.bias,
  );
  // u − η∇L = u·(1 + (η/‖u‖²)·Σ a_j s_j) − (η/‖u‖)·Σ a_j p_j/‖p_j‖,  a_j = (π_j − [j = c]) / τ.
  const k = learningRate / uNorm;
  const next = new Float64Array(d);
  let uCoefficient = 1;
  for (let j = 0; j < n; j++) {
    const a = (prob[j]! - (j === clickedIndex ? 1 : 0)) / temperature;
    if (a === 0 || pNorm[j] === 0) continue;
    uCoefficient += (k * a * cos[j]!) / uNorm;
    const scale = (-k * a) / pNorm[j]!;
    const base = j * d;
    for (let i = 0; i < d; i++) next[i]! += scale * slate[base + i]!;
  }
  for (let i = 0; i < d; i++) next[i]! += uCoefficient * u[i]!;
  return normalizedCopy(next) ?? unit(u, uNorm);
}

function unit(v: NumericArray, norm: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/**
 * `normalise(a·û + b·t̂)` (both inputs normalised first; a zero target contributes nothing).
 * When the mix cancels exactly, `û` is returned unchanged.
 */
function mix(u: NumericArray, target: NumericArray, a: number, b: number): Float32Array {
  checkVector('u', u);
  checkVector('target', target, u.length);
  const uNorm = nonZeroNorm(u);
  const tNorm = rowNorm(target, 0, target.length);
  const tScale = tNorm > 0 ? b / tNorm : 0;
  const out = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = (a * u[i]!) / uNorm + tScale * target[i]!;
  return normalizedCopy(out) ?? unit(u, uNorm);
}

function checkWeight(weight: number): void {
  if (!(weight >= 0 && weight <= 1))
    throw new RangeError(`weight must be in [0, 1], got ${weight}`);
}

/**
 * Exponential-moving-average rule (DESIGN §2 fallback/ablation):
 * `u ← normalise((1−α)·u + α·p_c)`, `α = min(0.1, 1/(n+1))`.
 * @param u - current user vector (non-zero)
 * @param target - the clicked ad's projected vector `p_c`
 * @param n - number of updates `u` has received so far (≥ 0)
 * @returns a new unit vector
 * @throws RangeError for mismatched lengths, a zero `u`, non-finite input or an invalid `n`
 */
export function emaUpdate(u: NumericArray, target: NumericArray, n: number): Float32Array {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`n must be a non-negative integer, got ${n}`);
  const alpha = Math.min(0.1, 1 / (n + 1));
  return mix(u, target, 1 - alpha, alpha);
}

/**
 * Negative signal (hide, "not interested"): `u ← normalise(û − w·t̂)`, which increases the angle
 * between `u` and `t` unless they are exactly (anti-)parallel.
 * @param u - current user vector (non-zero)
 * @param target - the rejected ad's projected vector
 * @param weight - w in [0, 1]
 * @defaultValue weight = {@link DEFAULT_NEGATIVE_WEIGHT}
 * @returns a new unit vector
 * @throws RangeError for mismatched lengths, a zero `u`, non-finite input or a weight outside [0, 1]
 */
export function pushAway(
  u: NumericArray,
  target: NumericArray,
  weight: number = DEFAULT_NEGATIVE_WEIGHT,
): Float32Array {
  checkWeight(weight);
  return mix(u, target, 1, -weight);
}

/**
 * Positive weak signal (reading an article): `u ← normalise((1−w)·û + w·t̂)` where `t` is the
 * article's context embedding projected into user space.
 * @param u - current user vector (non-zero)
 * @param target - the context vector to move toward
 * @param weight - w in [0, 1]
 * @defaultValue weight = {@link DEFAULT_READING_WEIGHT}
 * @returns a new unit vector
 * @throws RangeError for mismatched lengths, a zero `u`, non-finite input or a weight outside [0, 1]
 */
export function pullToward(
  u: NumericArray,
  target: NumericArray,
  weight: number = DEFAULT_READING_WEIGHT,
): Float32Array {
  checkWeight(weight);
  return mix(u, target, 1 - weight, weight);
}
