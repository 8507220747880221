/**
 * A click on a slate, as the projector's round gradient sees it.
 */
import type { ResolvedProjectorSpec } from './spec.js';
import { checkVector, rowNorm } from './vector.js';

/** One click event of a round (kept on the device; only the summed gradient ever leaves). */
export interface ClickEvent {
  /** The user vector at the time of the event (`userDim`, non-zero; frozen, normalised before use). */
  user: Float32Array;
  /** `n × contentDim` row-major content vectors `z_j` of the slate's ads, in slate order. */
  slateContent: Float32Array;
  /** Index `c` of the clicked ad in the slate. */
  clickedIndex: number;
  /**
   * Per-ad additive score bias of the slate (`n` entries, slate order): the popularity prior's
   * `w · prior(ad)` (`popularityBias`) the ranking adds to the cosine. With it the loss is taken
   * on `s_j = cos_j + b_j`, so θ learns what popularity does not already explain (bias-aware, or
   * logQ-style, training). Absent: no bias.
   */
  slateBias?: Float32Array;
}

/**
 * Validates an event against a projector and returns its slate size.
 * @param spec - the projector's architecture
 * @param event - the event
 * @returns `n`, the number of ads in the slate
 * @throws RangeError for wrong lengths (the bias: one per slate ad), an out-of-range index, a zero
 *   user or non-finite values
 */
export function checkClickEvent(spec: ResolvedProjectorSpec, event: ClickEvent): number {
  checkVector('user', event.user, spec.userDim);
  if (!(rowNorm(event.user, 0, spec.userDim) > 0))
    throw new RangeError('user must be a non-zero vector');
  const len = event.slateContent.length;
  if (len === 0 || len % spec.contentDim !== 0) {
    throw new RangeError(
      `slateContent length must be a positive multiple of contentDim = ${spec.contentDim}, got ${len}`,
    );
  }
  checkVector('slateContent', event.slateContent);
  const n = len / spec.contentDim;
  const c = event.clickedIndex;
  if (!Number.isInteger(c) || c < 0 || c >= n) {
    throw new RangeError(`clickedIndex must be an integer in [0, ${n}), got ${c}`);
  }
  if (event.slateBias !== undefined) checkVector('slateBias', event.slateBias, n);
  return n;
}
