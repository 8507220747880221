/**
 * The centralized, non-private baseline: the same linear projector and the same per-user
 * embeddings, trained with every user's clicks in one place. Training alternates (1) per-user
 * embeddings, replayed from the cold-start prior over each user's whole training history with the
 * on-device rule under the current projector, and (2) Adam steps on θ over minibatches of all click
 * events with the embeddings frozen — the loss the devices' round gradients differentiate.
 *
 * The θ gradient is computed per catalog item rather than per event, which is what makes
 * full-data training affordable: with `y_i = z_i W + b`, `p_i = y_i/‖y_i‖`, every event adds
 * `a_j û` to `A_{i(j)}` (`a_j = (π_j − [j = c])/τ`), then `∂L/∂y_i = (A_i − (p_i·A_i) p_i)/‖y_i‖`,
 * `∂L/∂W = Σ_i z_i (∂L/∂y_i)ᵀ`, `∂L/∂b = Σ_i ∂L/∂y_i`. A test checks it against
 * `referenceRoundGradient` of `@privads/model`.
 */
import {
  DEFAULT_TEMPERATURE,
  MIN_PROJECTION_NORM,
  resolveProjectorSpec,
  type ProjectorSpec,
} from '@privads/model';
import { createSeededRandom } from '../seeded-random.js';
import type { UserTimeline } from '../population.js';
import type { CatalogContent } from './catalog.js';
import { catalogPrior } from './catalog.js';
import { DeviceFleet } from './devices.js';

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

/** `y = zW + b` for every catalog row (unnormalised) and the rows' norms. */
function forward(
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
): { gradient: Float64Array; loss: number } {
  const s = resolveProjectorSpec(spec);
  if (s.kind !== 'linear')
    throw new RangeError(`the centralized baseline needs a linear projector, got ${s.kind}`);
  const d = s.userDim;
  const { p, norms } = forward(params, content, d);
  const A = new Float64Array(content.count * d);
  const uhat = new Float64Array(d);
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
    for (let j = from; j < to; j++) {
      const a =
        (Math.exp(logits[j - from]! - max) / total - (j - from === c ? 1 : 0)) / temperature;
      const base = events.items[j]! * d;
      for (let k = 0; k < d; k++) A[base + k]! += a * uhat[k]!;
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

/** Options of {@link trainCentralized}. */
export interface CentralizedOptions {
  readonly spec: ProjectorSpec;
  readonly initialParameters: Float32Array;
  readonly content: CatalogContent;
  readonly timelines: readonly UserTimeline[];
  readonly seed: number;
  /** Alternations of embedding replay and projector steps. @defaultValue 4 */
  readonly epochs?: number;
  /** Adam steps per alternation. @defaultValue 40 */
  readonly stepsPerEpoch?: number;
  /** Events per Adam step. @defaultValue 20000 */
  readonly batchSize?: number;
  /** Adam step size. @defaultValue 0.01 */
  readonly learningRate?: number;
  readonly onStep?: () => void;
}

/** The trained baseline: final parameters and user vectors (replayed under them). */
export interface CentralizedResult {
  readonly parameters: Float32Array;
  readonly fleet: DeviceFleet;
  readonly projected: Float32Array;
  readonly seconds: number;
  readonly events: number;
}

/**
 * Replays every user's training history from the cold-start prior under a projected catalog.
 * @param timelines - all users
 * @param projected - projected catalog
 * @param userDim - user dimension
 * @returns the devices after replay
 */
export function replayUsers(
  timelines: readonly UserTimeline[],
  projected: Float32Array,
  userDim: number,
): DeviceFleet {
  const fleet = new DeviceFleet(timelines.length, catalogPrior(projected, userDim));
  timelines.forEach((t, u) => fleet.learnUntil(u, t.train, t.train.length, projected));
  return fleet;
}

/**
 * Trains the centralized baseline.
 * @param options - model, data, schedule
 * @param project - projects the catalog under given parameters (the projector code the server runs)
 * @returns the trained model
 */
export function trainCentralized(
  options: CentralizedOptions,
  project: (parameters: Float32Array) => Float32Array,
): CentralizedResult {
  const started = performance.now();
  const { spec, content, timelines } = options;
  const userDim = resolveProjectorSpec(spec).userDim;
  const epochs = options.epochs ?? 4;
  const steps = options.stepsPerEpoch ?? 40;
  const lr = options.learningRate ?? 0.01;
  const events = trainingEvents(timelines);
  const batch = Math.min(options.batchSize ?? 20000, events.count);
  const random = createSeededRandom(options.seed ^ 0xce47);
  const params = Float32Array.from(options.initialParameters);
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let t = 0;
  const selection = new Int32Array(batch);
  for (let epoch = 0; epoch < epochs && events.count > 0; epoch++) {
    const fleet = replayUsers(timelines, project(params), userDim);
    for (let step = 0; step < steps; step++) {
      for (let i = 0; i < batch; i++)
        selection[i] = batch === events.count ? i : random.nextInt(events.count);
      const { gradient } = linearCatalogGradient(
        spec,
        params,
        content,
        events,
        selection,
        fleet.vectors,
      );
      t++;
      for (let i = 0; i < params.length; i++) {
        const g = gradient[i]! / batch;
        m[i] = beta1 * m[i]! + (1 - beta1) * g;
        v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
        const mh = m[i]! / (1 - beta1 ** t);
        const vh = v[i]! / (1 - beta2 ** t);
        params[i] = params[i]! - (lr * mh) / (Math.sqrt(vh) + 1e-8);
      }
      options.onStep?.();
    }
  }
  const projected = project(params);
  return {
    parameters: params,
    fleet: replayUsers(timelines, projected, userDim),
    projected,
    seconds: (performance.now() - started) / 1000,
    events: events.count,
  };
}
