import { userGradientStep, type UserStepOptions } from './user-update.js';
import type { NumericArray } from './vector.js';

/**
 * Passes of device-side personalisation before a round upload's projector gradient. One pass was
 * selected on a validation population (docs/evaluation.md): more passes overfit u to few clicks.
 */
export const DEFAULT_PERSONALIZE_EPOCHS = 1;

/** A remembered click, as the personalisation pass replays it. */
export interface ProjectedClick {
  /** `n × Du` projected ad vectors of the slate, under the catalog the device holds now. */
  readonly slate: NumericArray;
  readonly clickedIndex: number;
  /**
   * The slate's per-ad score bias under that catalog (its popularity prior, `n` entries), so the
   * refit learns what popularity does not explain, as the ranking scores; absent: none.
   */
  readonly bias?: NumericArray;
}

/**
 * Device-side personalisation: `epochs` passes of the click rule ({@link userGradientStep}) over
 * the device's remembered clicks, in order, from `u`. Online learning fitted u to the catalog
 * versions the clicks were seen under; the projector gradient is taken at u, so a u refitted to the
 * current catalog gives a gradient closer to the centralized one, where u and θ are optimised
 * together. The browser client and the simulator both call this before a round's gradient.
 * @param u - current user vector (not modified)
 * @param clicks - remembered clicks, oldest first; slates of fewer than two ads are skipped (their
 *   softmax gradient is zero)
 * @param epochs - passes; 0 returns a copy of `u`
 * @param options - the click rule's learning rate and temperature
 * @returns the refitted unit vector
 * @throws RangeError for a negative or fractional `epochs`, or what {@link userGradientStep} throws
 */
export function refitUserVector(
  u: NumericArray,
  clicks: readonly ProjectedClick[],
  epochs: number = DEFAULT_PERSONALIZE_EPOCHS,
  options: UserStepOptions = {},
): Float32Array {
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new RangeError(`epochs must be a non-negative integer, got ${epochs}`);
  let out: Float32Array = Float32Array.from(u);
  for (let e = 0; e < epochs; e++) {
    for (const click of clicks) {
      if (click.slate.length < 2 * u.length) continue;
      out = userGradientStep(out, click.slate, click.clickedIndex, {
        ...options,
        ...(click.bias ? { bias: click.bias } : {}),
      });
    }
  }
  return out;
}
