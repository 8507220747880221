/**
 * L2 clipping: the step that bounds one user's contribution (the sensitivity Δ = C of the sum) and
 * so underlies every guarantee in this package. The post-condition ‖output‖₂ ≤ C is checked on the
 * rounded output, not assumed from the arithmetic.
 */
import { PrivacyParameterError } from '@privads/protocol';

import { requirePositive } from './validate.js';

/** A dense floating-point vector (one tensor, flattened). */
export type FloatVector = Float32Array | Float64Array;

/** What clipping returns. */
export interface ClipResult<T> {
  /** Clipped copies of the input (same types, same order); the input is never modified. */
  readonly values: T;
  /** The L2 norm before clipping, over all tensors together (for the server and debug hooks). */
  readonly norm: number;
  /**
   * The factor every coordinate was multiplied by: 1 when `norm ≤ C`, otherwise `C / norm`, or a
   * hair less when rounding the scaled values to the output type would overshoot C.
   */
  readonly scale: number;
}

/** ‖x‖₂ = max·√sumSquares, kept apart so that huge finite Float64 values cannot overflow. */
interface NormParts {
  readonly max: number;
  readonly sumSquares: number;
}

function assertAllFinite(tensors: readonly FloatVector[]): void {
  tensors.forEach((tensor, t) => {
    const i = tensor.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) {
      throw new PrivacyParameterError(
        `tensor ${t} holds ${tensor[i]} at index ${i}: an update without a finite L2 norm has no ` +
          `bounded sensitivity and cannot be clipped`,
      );
    }
  });
}

// Indexed loops: iterator protocol over typed arrays is several times slower, and the server runs
// this once per upload over ~50k coordinates.
function normParts(tensors: readonly FloatVector[]): NormParts {
  let sum = 0;
  for (const tensor of tensors) {
    for (let i = 0; i < tensor.length; i++) sum += (tensor[i] as number) * (tensor[i] as number);
  }
  if (Number.isFinite(sum)) return { max: 1, sumSquares: sum };
  assertAllFinite(tensors);
  // Every value is finite but the squares overflow (only possible for Float64Array): rescale.
  let max = 0;
  for (const tensor of tensors) for (const x of tensor) max = Math.max(max, Math.abs(x));
  let scaled = 0;
  for (const tensor of tensors) for (const x of tensor) scaled += (x / max) * (x / max);
  return { max, sumSquares: scaled };
}

/**
 * The L2 norm of the concatenation of `tensors`.
 * @param tensors - one or more vectors
 * @returns ‖concat(tensors)‖₂ (may be `Infinity` only if the true norm exceeds the double range)
 * @throws PrivacyParameterError (code `PRIVACY_PARAMETER`) when a coordinate is NaN or ±∞
 */
export function globalL2Norm(tensors: readonly FloatVector[]): number {
  const { max, sumSquares } = normParts(tensors);
  return max * Math.sqrt(sumSquares);
}

/** Relative step by which the scale shrinks when rounding made the output overshoot C: one float32 ulp. */
const SHRINK = 2 ** -23;

/**
 * Clips a set of tensors to one global L2 norm: all are scaled by the same factor
 * min(1, C/‖concat(tensors)‖₂), which preserves their directions and relative sizes.
 * @param tensors - the per-layer parts of one update
 * @param clipNorm - the bound C > 0
 * @returns clipped copies, the pre-clip global norm and the applied scale
 * @throws PrivacyParameterError (code `PRIVACY_PARAMETER`) when a coordinate is NaN or ±∞
 * @throws TypeError / RangeError when `clipNorm` is not a finite number > 0
 */
export function clipByGlobalL2Norm<T extends FloatVector>(
  tensors: readonly T[],
  clipNorm: number,
): ClipResult<T[]> {
  requirePositive('clipNorm', clipNorm);
  const { max, sumSquares } = normParts(tensors);
  const norm = max * Math.sqrt(sumSquares);
  if (norm <= clipNorm) return { values: tensors.map((t) => t.slice() as T), norm, scale: 1 };
  // C / norm, computed without forming a norm that may have overflowed.
  let scale = clipNorm / max / Math.sqrt(sumSquares);
  for (;;) {
    const factor = scale;
    const values = tensors.map((t) => {
      const out = t.slice() as T;
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * factor;
      return out;
    });
    if (globalL2Norm(values) <= clipNorm) return { values, norm, scale };
    scale *= 1 - SHRINK;
  }
}

/**
 * Clips one flat vector to L2 norm C (see {@link clipByGlobalL2Norm}).
 * @param vector - the update
 * @param clipNorm - the bound C > 0
 * @returns a clipped copy, the pre-clip norm and the applied scale
 * @throws PrivacyParameterError (code `PRIVACY_PARAMETER`) when a coordinate is NaN or ±∞
 * @throws TypeError / RangeError when `clipNorm` is not a finite number > 0
 */
export function clipByL2Norm<T extends FloatVector>(vector: T, clipNorm: number): ClipResult<T> {
  const { values, norm, scale } = clipByGlobalL2Norm([vector], clipNorm);
  return { values: values[0] as T, norm, scale };
}
