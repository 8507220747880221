/**
 * The slate softmax loss of the linear projector over many click events and its exact gradients,
 * computed per catalog item rather than per event — what makes full-data (centralized) training
 * affordable: with `y_i = z_i W + b`, `p_i = y_i/‖y_i‖`, every event adds `a_j û` to `A_{i(j)}`
 * (`a_j = (π_j − [j = c])/τ`), then `∂L/∂y_i = (A_i − (p_i·A_i) p_i)/‖y_i‖`,
 * `∂L/∂W = Σ_i z_i (∂L/∂y_i)ᵀ`, `∂L/∂b = Σ_i ∂L/∂y_i`. For the user vector of an event,
 * `∂L/∂û = Σ_j a_j p_j` and `∂L/∂u = (∂L/∂û − (û·∂L/∂û) û)/‖u‖`. A test checks the θ gradient
 * against `referenceRoundGradient` of `@privads/model`, the user gradient by finite differences.
 */
import {
  DEFAULT_TEMPERATURE,
  MIN_PROJECTION_NORM,
  resolveProjectorSpec,
  type ProjectorSpec,
} from '@privads/model';
import type { UserTimeline } from '../population.js';
import type { CatalogContent } from './catalog.js';

/** Click events of all users in flat arrays. */
export interface EventTable {
  readonly count: number;
  readonly user: Int32Array;
  /** Offsets into `items` (length count + 1). */
  readonly start: Int32Array;
  readonly items: Int32Array;
  readonly clicked: Int32Array;
}

/**
 * Flattens every training click (on slates of two or more items) of every user.
 * @param timelines - all users' timelines
 * @returns the events
 */
export function trainingEvents(timelines: readonly UserTimeline[]): EventTable {
  const user: number[] = [];
  const start: number[] = [0];
  const items: number[] = [];
  const clicked: number[] = [];
  timelines.forEach((timeline, u) => {
    for (const slate of timeline.train) {
      if (slate.items.length < 2) continue;
      slate.clicked.forEach((c, k) => {
        if (c !== 1) return;
        user.push(u);
        clicked.push(k);
        for (const item of slate.items) items.push(item);
        start.push(items.length);
      });
    }
  });
  return {
    count: user.length,
    user: Int32Array.from(user),
    start: Int32Array.from(start),
    items: Int32Array.from(items),
    clicked: Int32Array.from(clicked),
  };
}

/**
 * The projected catalog in f64: `p = (zW + b)/‖zW + b‖` for every row, and the norms (`Infinity`
 * for a row below `MIN_PROJECTION_NORM`, whose `p` is then zero).
 * @param params - flat linear parameters
 * @param content - catalog content vectors
 * @param userDim - user dimension
 * @returns unit rows `count × userDim` and their norms before normalisation
 */
export function projectLinear(
  params: Float32Array,
  content: CatalogContent,
  userDim: number,
): { p: Float64Array; norms: Float64Array } {
  const { dim, count, vectors } = content;
  const bOffset = dim * userDim;
  const p = new Float64Array(count * userDim);
  const norms = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const y = p.subarray(r * userDim, (r + 1) * userDim);
    for (let k = 0; k < userDim; k++) y[k] = params[bOffset + k]!;
    for (let i = 0; i < dim; i++) {
      const z = vectors[r * dim + i]!;
      if (z === 0) continue;
      const row = i * userDim;
      for (let k = 0; k < userDim; k++) y[k]! += z * params[row + k]!;
    }
    let sq = 0;
    for (let k = 0; k < userDim; k++) sq += y[k]! * y[k]!;
    const n = Math.sqrt(sq);
    norms[r] = n >= MIN_PROJECTION_NORM ? n : Infinity;
    for (let k = 0; k < userDim; k++) y[k]! /= norms[r]!;
  }
  return { p, norms };
}

/**
 * `Σ_events ∇θ L` of a linear projector for the given events, user vectors frozen (normalised).
 * @param spec - a linear projector spec
 * @param params - flat parameters (weight `[contentDim, userDim]` then bias)
 * @param content - catalog content vectors
 * @param events - the click events
 * @param selection - indices into `events` to include
 * @param users - user vectors, `users × userDim`
 * @param temperature - τ
 * @param userGradient - when given (`users × userDim`), `∂L/∂u` of every event is added to its
 *   user's row
 * @returns the flat gradient (f64) and the summed loss
 * @throws RangeError for a non-linear spec
 */
export function linearCatalogGradient(
  spec: ProjectorSpec,
  params: Float32Array,
  content: CatalogContent,
  events: EventTable,
  selection: ArrayLike<number>,
  users: Float32Array,
  temperature: number = DEFAULT_TEMPERATURE,
  userGradient?: Float64Array,
): { gradient: Float64Array; loss: number } {
  const s = resolveProjectorSpec(spec);
  if (s.kind !== 'linear')
    throw new RangeError(`the centralized baseline needs a linear projector, got ${s.kind}`);
  const d = s.userDim;
  const { p, norms } = projectLinear(params, content, d);
  const A = new Float64Array(content.count * d);
  const uhat = new Float64Array(d);
  const gu = new Float64Array(d);
  let loss = 0;
  const logits: number[] = [];
  for (let e = 0; e < selection.length; e++) {
    const ev = selection[e]!;
    const uBase = events.user[ev]! * d;
    let un = 0;
    for (let k = 0; k < d; k++) un += users[uBase + k]! * users[uBase + k]!;
    un = Math.sqrt(un);
    for (let k = 0; k < d; k++) uhat[k] = users[uBase + k]! / un;
    const from = events.start[ev]!;
    const to = events.start[ev + 1]!;
    logits.length = 0;
    let max = -Infinity;
    for (let j = from; j < to; j++) {
      const base = events.items[j]! * d;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += uhat[k]! * p[base + k]!;
      logits.push(dot / temperature);
      max = Math.max(max, dot / temperature);
    }
    let total = 0;
    for (const l of logits) total += Math.exp(l - max);
    const c = events.clicked[ev]!;
    loss += max + Math.log(total) - logits[c]!;
    gu.fill(0);
    for (let j = from; j < to; j++) {
      const a =
        (Math.exp(logits[j - from]! - max) / total - (j - from === c ? 1 : 0)) / temperature;
      const base = events.items[j]! * d;
      for (let k = 0; k < d; k++) {
        A[base + k]! += a * uhat[k]!;
        gu[k]! += a * p[base + k]!;
      }
    }
    if (userGradient !== undefined) {
      let ug = 0;
      for (let k = 0; k < d; k++) ug += uhat[k]! * gu[k]!;
      for (let k = 0; k < d; k++) userGradient[uBase + k]! += (gu[k]! - ug * uhat[k]!) / un;
    }
  }
  const gradient = new Float64Array(content.dim * d + d);
  const bOffset = content.dim * d;
  const g = new Float64Array(d);
  for (let r = 0; r < content.count; r++) {
    const base = r * d;
    let pa = 0;
    let any = false;
    for (let k = 0; k < d; k++) {
      pa += p[base + k]! * A[base + k]!;
      if (A[base + k] !== 0) any = true;
    }
    if (!any || norms[r] === Infinity) continue;
    for (let k = 0; k < d; k++) g[k] = (A[base + k]! - pa * p[base + k]!) / norms[r]!;
    for (let k = 0; k < d; k++) gradient[bOffset + k]! += g[k]!;
    for (let i = 0; i < content.dim; i++) {
      const z = content.vectors[r * content.dim + i]!;
      if (z === 0) continue;
      const row = i * d;
      for (let k = 0; k < d; k++) gradient[row + k]! += z * g[k]!;
    }
  }
  return { gradient, loss };
}
