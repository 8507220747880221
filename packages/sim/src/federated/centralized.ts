/**
 * The centralized, non-private baseline: the same linear projector and the same per-user
 * embeddings, trained with every user's clicks in one place. θ and every user vector `u` are
 * optimised jointly on the slate softmax loss the devices differentiate (same τ), with full-batch
 * Adam (deterministic: no sampling). Hyper-parameters are chosen on a validation split of
 * each user's TRAINING slates (the source's own when it has one, as RecBole's `valid.inter`; else
 * their last clicked ones, as the test split is carved from the whole timeline) — never on the
 * test slates: for each candidate learning rate, training stops
 * early when validation NDCG@10 stops improving, and the best (learning rate, step count) is
 * kept. The user vectors for scoring are either the jointly optimised ones or the on-device rule
 * replayed under the learned θ (recency-weighted), whichever validates better. The model is then
 * refit on all training slates with the chosen settings.
 */
import { DEFAULT_TEMPERATURE, resolveProjectorSpec, type ProjectorSpec } from '@privads/model';
import { evaluateScorer, evenlySpaced, heldOutOf, type HeldOut } from '../eval/evaluate.js';
import { validationSplit, type UserTimeline } from '../population.js';
import type { CatalogContent } from './catalog.js';
import { catalogPrior } from './catalog.js';
import { DeviceFleet } from './devices.js';
import { linearCatalogGradient, projectLinear, trainingEvents } from './linear-gradient.js';

/** Share of each user's clicked training slates held out for validation (without a given split). */
export const VALIDATION_FRACTION = 0.2;

/** Options of {@link trainCentralized}. */
export interface CentralizedOptions {
  readonly spec: ProjectorSpec;
  readonly initialParameters: Float32Array;
  readonly content: CatalogContent;
  readonly timelines: readonly UserTimeline[];
  /** Candidate Adam step sizes, each tried on the validation split. @defaultValue [0.003, 0.01, 0.03] */
  readonly learningRates?: readonly number[];
  /** Most full-batch Adam steps per candidate. @defaultValue 200 */
  readonly maxSteps?: number;
  /** Steps between validation checks. @defaultValue 10 */
  readonly evalEvery?: number;
  /** Validation checks without improvement before a candidate stops. @defaultValue 3 */
  readonly patience?: number;
  /** Most users whose validation clicks are scored. @defaultValue 3000 */
  readonly validationUsers?: number;
  /** Progress, 0…1 (an upper bound on the remaining work: early stopping may jump ahead). */
  readonly onProgress?: (fraction: number) => void;
}

/** How one candidate learning rate did on the validation split. */
export interface CentralizedCandidate {
  readonly learningRate: number;
  readonly bestStep: number;
  readonly bestNdcgAt10: number;
  readonly stepsRun: number;
}

/** The trained baseline and how its settings were chosen. */
export interface CentralizedResult {
  readonly parameters: Float32Array;
  readonly fleet: DeviceFleet;
  readonly projected: Float32Array;
  readonly seconds: number;
  readonly events: number;
  readonly learningRate: number;
  readonly steps: number;
  /** `joint`: the optimised user vectors; `replay`: the device rule replayed under θ. */
  readonly userVectors: 'joint' | 'replay';
  /** Validation NDCG@10 of the chosen settings (model fit without the validation slates). */
  readonly validationNdcgAt10: number;
  readonly candidates: readonly CentralizedCandidate[];
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

/** Adam state of one flat parameter vector. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** One step `x ← x − lr·m̂/(√v̂ + ε)` with gradient `scale · gradient`. */
  step(x: Float32Array, gradient: Float64Array, scale: number, lr: number): void {
    this.t++;
    const c1 = 1 - 0.9 ** this.t;
    const c2 = 1 - 0.999 ** this.t;
    for (let i = 0; i < x.length; i++) {
      const g = gradient[i]! * scale;
      this.m[i] = 0.9 * this.m[i]! + 0.1 * g;
      this.v[i] = 0.999 * this.v[i]! + 0.001 * g * g;
      x[i] = x[i]! - (lr * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-8);
    }
  }
}

/** Rescales every non-zero row to unit length (scores are cosines: only directions matter). */
function normaliseRows(x: Float32Array, dim: number): void {
  for (let r = 0; r < x.length; r += dim) {
    let sq = 0;
    for (let k = 0; k < dim; k++) sq += x[r + k]! * x[r + k]!;
    if (sq === 0) continue;
    const n = Math.sqrt(sq);
    for (let k = 0; k < dim; k++) x[r + k]! /= n;
  }
}

/** NDCG@10 over the full catalog of user vectors `users` under θ, on held-out clicks. */
function ndcgOf(
  params: Float32Array,
  users: Float32Array,
  content: CatalogContent,
  userDim: number,
  heldOut: readonly HeldOut[],
): number {
  const { p } = projectLinear(params, content, userDim);
  const scores = new Float64Array(content.count);
  return evaluateScorer(
    heldOut,
    (user) => {
      const base = user * userDim;
      for (let r = 0; r < content.count; r++) {
        let s = 0;
        for (let k = 0; k < userDim; k++) s += users[base + k]! * p[r * userDim + k]!;
        scores[r] = s;
      }
      return scores;
    },
    false,
  ).ndcgAt10;
}

/** The state of a joint fit. */
interface JointFit {
  params: Float32Array;
  users: Float32Array;
  step: number;
  ndcg: number;
}

/**
 * Full-batch Adam on θ and the user vectors, from the content-only start (bootstrap θ, user
 * vectors replayed under it). With `validation`, keeps the best checkpoint and stops after
 * `patience` checks without improvement; without, runs exactly `steps` steps.
 */
function fitJoint(
  options: CentralizedOptions,
  timelines: readonly UserTimeline[],
  lr: number,
  steps: number,
  onStep: () => void,
  validation?: readonly HeldOut[],
): JointFit & { stepsRun: number } {
  const { spec, content } = options;
  const userDim = resolveProjectorSpec(spec).userDim;
  const evalEvery = options.evalEvery ?? 10;
  const patience = options.patience ?? 3;
  const events = trainingEvents(timelines);
  const selection = Int32Array.from({ length: events.count }, (_, i) => i);
  const params = Float32Array.from(options.initialParameters);
  const start = projectLinear(params, content, userDim).p;
  const users = replayUsers(timelines, Float32Array.from(start), userDim).vectors;
  const score = (): number =>
    validation === undefined ? 0 : ndcgOf(params, users, content, userDim, validation);
  let best: JointFit = { params: params.slice(), users: users.slice(), step: 0, ndcg: score() };
  const adamTheta = new Adam(params.length);
  const adamUsers = new Adam(users.length);
  const userGradient = new Float64Array(users.length);
  let stale = 0;
  let step = 0;
  while (step < steps && events.count > 0) {
    userGradient.fill(0);
    const { gradient } = linearCatalogGradient(
      spec,
      params,
      content,
      events,
      selection,
      users,
      DEFAULT_TEMPERATURE,
      userGradient,
    );
    adamTheta.step(params, gradient, 1 / events.count, lr);
    adamUsers.step(users, userGradient, 1 / events.count, lr);
    normaliseRows(users, userDim);
    step++;
    onStep();
    if (validation === undefined || (step % evalEvery !== 0 && step !== steps)) continue;
    const ndcg = score();
    if (ndcg > best.ndcg) {
      best = { params: params.slice(), users: users.slice(), step, ndcg };
      stale = 0;
    } else if (++stale >= patience) break;
  }
  return validation === undefined
    ? { params, users, step, ndcg: 0, stepsRun: step }
    : { ...best, stepsRun: step };
}

/**
 * Trains the centralized baseline (validation-selected learning rate, step count and user
 * vectors, then a refit on all training slates).
 * @param options - model, data, search space
 * @param project - projects the catalog under given parameters (the projector code the server
 *   runs): the final catalog is scored exactly as the federated runs' catalogs are
 * @returns the trained model and the selection
 * @throws RangeError for an empty or non-positive learning-rate list or a non-linear projector
 */
export function trainCentralized(
  options: CentralizedOptions,
  project: (parameters: Float32Array) => Float32Array,
): CentralizedResult {
  const started = performance.now();
  const { spec, timelines } = options;
  const userDim = resolveProjectorSpec(spec).userDim;
  const learningRates = options.learningRates ?? [0.003, 0.01, 0.03];
  if (learningRates.length === 0 || learningRates.some((lr) => !(lr > 0)))
    throw new RangeError(`learning rates must be > 0, got [${learningRates.join(', ')}]`);
  const maxSteps = options.maxSteps ?? 200;
  const budget = (learningRates.length + 1) * maxSteps;
  let done = 0;
  const onStep = (): void => options.onProgress?.(Math.min(1, ++done / budget));

  const inner = timelines.map((t) => validationSplit(t, VALIDATION_FRACTION));
  const validation = evenlySpaced(
    inner.map((t, u) => heldOutOf(u, t)).filter((h): h is HeldOut => h !== undefined),
    options.validationUsers ?? 3000,
  );
  let chosen: { lr: number; fit: JointFit } | undefined;
  const candidates: CentralizedCandidate[] = [];
  for (const lr of learningRates) {
    const fit = fitJoint(options, inner, lr, maxSteps, onStep, validation);
    candidates.push({
      learningRate: lr,
      bestStep: fit.step,
      bestNdcgAt10: fit.ndcg,
      stepsRun: fit.stepsRun,
    });
    if (chosen === undefined || fit.ndcg > chosen.fit.ndcg) chosen = { lr, fit };
    done = candidates.length * maxSteps;
  }
  const best = chosen!;
  const replayed = replayUsers(inner, project(best.fit.params), userDim).vectors;
  const replayNdcg = ndcgOf(best.fit.params, replayed, options.content, userDim, validation);
  const userVectors = replayNdcg > best.fit.ndcg ? 'replay' : 'joint';

  const final = fitJoint(options, timelines, best.lr, best.fit.step, onStep);
  const projected = project(final.params);
  let fleet: DeviceFleet;
  if (userVectors === 'replay') fleet = replayUsers(timelines, projected, userDim);
  else {
    fleet = new DeviceFleet(timelines.length, catalogPrior(projected, userDim));
    fleet.vectors.set(final.users);
  }
  options.onProgress?.(1);
  return {
    parameters: final.params,
    fleet,
    projected,
    seconds: (performance.now() - started) / 1000,
    events: trainingEvents(timelines).count,
    learningRate: best.lr,
    steps: best.fit.step,
    userVectors,
    validationNdcgAt10: Math.max(replayNdcg, best.fit.ndcg),
    candidates,
  };
}
