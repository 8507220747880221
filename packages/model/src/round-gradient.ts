/**
 * The per-round projector gradient `g = Σ_events ∇_θ L` (DESIGN §2), computed with tfjs autodiff
 * on the current tfjs backend. Events are buffered and differentiated in padded batches (one tfjs
 * graph per batch instead of one per event); running sums stay on the device until read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PrivAdsError } from '@privads/protocol';
import { checkClickEvent, type ClickEvent } from './click-event.js';
import { ensureProjectorGradients } from './gradients.js';
import { projectorVariables, type Projector } from './projector.js';
import { batchSlateLoss, type EventBatchTensors } from './projector-graph.js';
import { DEFAULT_TEMPERATURE } from './user-update.js';
import { rowNorm } from './vector.js';

/** Logit added to padding slots: exp(−1e9) is exactly 0 in f32, so padding gets no mass. */
const PADDING_LOGIT = -1e9;

/** Options of {@link RoundGradientAccumulator}. */
export interface RoundGradientOptions {
  /**
   * Softmax temperature τ of the loss.
   * @defaultValue {@link DEFAULT_TEMPERATURE}
   */
  temperature?: number;
  /**
   * Events differentiated together in one tfjs graph. Larger batches amortise per-op overhead;
   * every batch is padded to its longest slate.
   * @defaultValue 32
   */
  batchSize?: number;
}

interface PendingEvent {
  user: Float32Array;
  slateContent: Float32Array;
  clickedIndex: number;
  slateBias: Float32Array | undefined;
  n: number;
}

/**
 * Accumulates `Σ ∇_θ L` over a round's click events with each event's user vector frozen.
 * θ is read when a batch is differentiated (every `batchSize` events and at `result()`), so do not
 * change the projector's parameters during a round. Call {@link RoundGradientAccumulator.dispose}
 * when done (it frees the device-side sums; the projector stays yours).
 */
export class RoundGradientAccumulator {
  private readonly projector: Projector;
  private readonly temperature: number;
  private readonly batchSize: number;
  private pending: PendingEvent[] = [];
  private sums: tf.Tensor[] | undefined;
  private count = 0;
  private disposed = false;

  /**
   * @param projector - the projector whose parameters are differentiated (not owned)
   * @param options - `temperature`, `batchSize`
   * @throws RangeError for τ ≤ 0 or a batch size that is not a positive integer
   */
  constructor(projector: Projector, options: RoundGradientOptions = {}) {
    const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
    const batchSize = options.batchSize ?? 32;
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new RangeError(`temperature must be > 0, got ${temperature}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    projectorVariables(projector);
    ensureProjectorGradients();
    this.projector = projector;
    this.temperature = temperature;
    this.batchSize = batchSize;
  }

  /** Number of events added since construction or the last {@link RoundGradientAccumulator.reset}. */
  get eventCount(): number {
    return this.count;
  }

  private live(): void {
    if (this.disposed)
      throw new PrivAdsError('INVALID_STATE', 'round gradient accumulator has been disposed');
  }

  /**
   * Adds one click event (its arrays are copied, so the caller may reuse them).
   * @param event - user vector, slate content vectors, clicked index
   * @throws RangeError for an invalid event (see {@link checkClickEvent}); PrivAdsError `INVALID_STATE` after dispose
   */
  add(event: ClickEvent): void {
    this.live();
    const n = checkClickEvent(this.projector.spec, event);
    this.pending.push({
      user: event.user.slice(),
      slateContent: event.slateContent.slice(),
      clickedIndex: event.clickedIndex,
      slateBias: event.slateBias?.slice(),
      n,
    });
    this.count++;
    if (this.pending.length >= this.batchSize) this.flush();
  }

  /** Builds the padded batch tensors (caller disposes them, normally via `tf.tidy`). */
  private batchTensors(events: PendingEvent[]): EventBatchTensors {
    const { contentDim, userDim } = this.projector.spec;
    const slots = events.reduce((m, e) => Math.max(m, e.n), 0);
    const rows = events.length * slots;
    const z = new Float32Array(rows * contentDim);
    const users = new Float32Array(rows * userDim);
    const mask = new Float32Array(rows).fill(PADDING_LOGIT);
    const negOneHot = new Float32Array(rows);
    events.forEach((e, k) => {
      const first = k * slots;
      z.set(e.slateContent, first * contentDim);
      const norm = rowNorm(e.user, 0, userDim);
      for (let j = 0; j < e.n; j++) {
        for (let i = 0; i < userDim; i++) users[(first + j) * userDim + i] = e.user[i]! / norm;
        // The slate bias enters the logits as s_j/τ + b_j/τ: a constant offset, like the mask.
        mask[first + j] = (e.slateBias?.[j] ?? 0) / this.temperature;
      }
      negOneHot[first + e.clickedIndex] = -1;
    });
    return {
      z: tf.tensor2d(z, [rows, contentDim]),
      users: tf.tensor2d(users, [rows, userDim]),
      mask: tf.tensor2d(mask, [events.length, slots]),
      negOneHot: tf.tensor2d(negOneHot, [events.length, slots]),
    };
  }

  /** Differentiates the pending events and adds the result to the device-side sums. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const vars = projectorVariables(this.projector);
    const previous = this.sums;
    this.sums = tf.tidy(() => {
      const batch = this.batchTensors(events);
      const { grads } = tf.variableGrads(
        () => batchSlateLoss(this.projector.spec, vars, batch, this.temperature),
        [...vars],
      );
      return vars.map((v, i) => {
        const g = grads[v.name]!;
        return previous === undefined ? tf.clone(g) : tf.add(previous[i]!, g);
      });
    });
    previous?.forEach((t) => t.dispose());
  }

  private layoutOut(parts: ArrayLike<number>[]): Float32Array {
    const out = new Float32Array(this.projector.parameterCount);
    parts.forEach((part, i) => out.set(part, this.projector.parameterLayout[i]!.offset));
    return out;
  }

  /**
   * The summed gradient so far (synchronous read-back; on WebGPU prefer
   * {@link RoundGradientAccumulator.resultAsync}). Zeros when no event was added.
   * @returns flat `Σ ∇_θ L` in the projector's parameter layout
   * @throws PrivAdsError `INVALID_STATE` after dispose or when the projector was disposed
   */
  result(): Float32Array {
    this.live();
    this.flush();
    return this.layoutOut(this.sums?.map((t) => t.dataSync()) ?? []);
  }

  /**
   * Same as {@link RoundGradientAccumulator.result} without blocking on the device read-back.
   * @returns flat `Σ ∇_θ L` in the projector's parameter layout
   * @throws PrivAdsError `INVALID_STATE` after dispose or when the projector was disposed
   */
  async resultAsync(): Promise<Float32Array> {
    this.live();
    this.flush();
    const sums = this.sums;
    if (sums === undefined) return this.layoutOut([]);
    // Keep the tensors alive while reading even if add()/reset() run meanwhile.
    const held = sums.map((t) => tf.clone(t));
    try {
      return this.layoutOut(await Promise.all(held.map((t) => t.data<'float32'>())));
    } finally {
      held.forEach((t) => t.dispose());
    }
  }

  /** Forgets every event and the sums, ready for the next round. */
  reset(): void {
    this.pending = [];
    this.sums?.forEach((t) => t.dispose());
    this.sums = undefined;
    this.count = 0;
  }

  /** Frees device memory. Idempotent; later use throws `INVALID_STATE`. */
  dispose(): void {
    this.reset();
    this.disposed = true;
  }
}
