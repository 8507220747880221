/**
 * The projector's forward computation as tfjs ops, shared by {@link Projector.project} and the
 * round gradient. Only ops whose gradients {@link ensureProjectorGradients} registers appear here,
 * plus two `tf.customGrad` ops (row normalisation below, and tfjs's own `logSoftmax`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MIN_PROJECTION_NORM, type ResolvedProjectorSpec } from './spec.js';

/**
 * `p = y / ‖y‖` per row, `p = 0` (and zero gradient) where `‖y‖ < MIN_PROJECTION_NORM`.
 * Backward: `∂L/∂y = (g − p (p·g)) / ‖y‖` for kept rows, the Jacobian `(I − p pᵀ) / ‖y‖`.
 */
const normalizeRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [y, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const squared = tf.sum(tf.mul(y, y), -1, true);
  const kept = tf.cast(tf.greaterEqual(squared, MIN_PROJECTION_NORM ** 2), 'float32');
  const inverse = tf.mul(kept, tf.rsqrt(tf.maximum(squared, MIN_PROJECTION_NORM ** 2)));
  const p = tf.mul(y, inverse);
  save([p, inverse]);
  return {
    value: p,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [unit, inv] = saved as [tf.Tensor, tf.Tensor];
      const radial = tf.mul(unit, tf.sum(tf.mul(dy, unit), -1, true));
      return tf.mul(tf.sub(dy, radial), inv);
    },
  };
});

/**
 * Projects rows and L2-normalises them.
 * @param spec - the architecture (decides how `params` is read)
 * @param params - parameter tensors in {@link parameterLayout} order
 * @param z - `[rows, contentDim]` content vectors
 * @returns `[rows, userDim]` unit rows (zero where `‖y‖ < MIN_PROJECTION_NORM`)
 */
export function projectRows(
  spec: ResolvedProjectorSpec,
  params: readonly tf.Tensor[],
  z: tf.Tensor2D,
): tf.Tensor2D {
  const [w0, b0, w1, b1] = params as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D?, tf.Tensor1D?];
  let y = tf.add(tf.matMul(z, w0), b0);
  if (spec.kind === 'mlp') {
    if (w1 === undefined || b1 === undefined) throw new TypeError('mlp projector needs 4 tensors');
    y = tf.add(tf.matMul(tf.relu(y), w1), b1);
  }
  return normalizeRows(y) as tf.Tensor2D;
}

/**
 * Tensors describing a batch of click events padded to a common slate length `n`.
 * Padding rows have zero content, a zero user row and a large negative mask, so they take no
 * probability mass and receive zero gradient.
 */
export interface EventBatchTensors {
  /** `[events·n, contentDim]` content vectors, slates back to back. */
  z: tf.Tensor2D;
  /** `[events·n, userDim]` the event's (frozen, unit) user vector repeated on each slate row. */
  users: tf.Tensor2D;
  /** `[events, n]` logit offsets: `b_j/τ` (the event's slate bias, else 0) for ads, −1e9 for padding. */
  mask: tf.Tensor2D;
  /** `[events, n]` −1 at the clicked ad, 0 elsewhere (so the sum below is the loss). */
  negOneHot: tf.Tensor2D;
}

/**
 * Sum over the batch of the slate softmax loss `−log softmax(s/τ + mask)[c]`, `s_j = u·P_θ(z_j)`
 * (the mask carries each ad's score bias and the padding).
 * @param spec - the architecture
 * @param params - parameter tensors in layout order
 * @param batch - the padded events
 * @param temperature - τ > 0
 * @returns a scalar
 */
export function batchSlateLoss(
  spec: ResolvedProjectorSpec,
  params: readonly tf.Tensor[],
  batch: EventBatchTensors,
  temperature: number,
): tf.Scalar {
  const [events, n] = batch.mask.shape;
  const p = projectRows(spec, params, batch.z);
  const scores = tf.reshape(tf.sum(tf.mul(p, batch.users), -1), [events, n]);
  const logits = tf.add(tf.mul(scores, 1 / temperature), batch.mask);
  return tf.sum(tf.mul(tf.logSoftmax(logits), batch.negOneHot));
}
