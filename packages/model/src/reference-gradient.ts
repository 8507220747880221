/**
 * The round loss and its gradient with respect to θ, written out by hand in f64 loops. This is
 * the specification the tfjs gradient is tested against (and the backend self-test), not a fast
 * path. Derivation, per event with unit user `û`, slate rows `z_j`, click `c`:
 *
 * - `y_j = P(z_j)` before normalisation, `n_j = ‖y_j‖`, `p_j = y_j / n_j`, `s_j = û·p_j`
 *   (`p_j = 0` with no gradient when `n_j < MIN_PROJECTION_NORM`), `b_j` the event's slate bias (0
 *   without one; a constant, so it only moves π)
 * - `L = log Σ_j exp((s_j + b_j)/τ) − (s_c + b_c)/τ`, so `∂L/∂s_j = a_j = (π_j − [j = c]) / τ`,
 *   `π = softmax((s + b)/τ)`
 * - `∂p_j/∂y_j = (I − p_j p_jᵀ) / n_j`, so `g_j = ∂L/∂y_j = a_j (û − s_j p_j) / n_j`
 * - linear `y = zW + b`: `∂L/∂W = Σ_j z_j g_jᵀ`, `∂L/∂b = Σ_j g_j`
 * - mlp `y = relu(zW0 + b0)W1 + b1`, `h_j = relu(q_j)`: `∂L/∂W1 = Σ_j h_j g_jᵀ`, `∂L/∂b1 = Σ_j g_j`,
 *   `r_j = (W1 g_j) ⊙ [q_j > 0]`, `∂L/∂W0 = Σ_j z_j r_jᵀ`, `∂L/∂b0 = Σ_j r_j`
 */
import { checkClickEvent, type ClickEvent } from './click-event.js';
import {
  MIN_PROJECTION_NORM,
  parameterCount,
  resolveProjectorSpec,
  type ProjectorSpec,
} from './spec.js';
import { rowNorm, type NumericArray } from './vector.js';

interface Dense {
  wOffset: number;
  bOffset: number;
  inDim: number;
  outDim: number;
}

/** `out = xW + b` for one row. */
function affine(
  layer: Dense,
  params: NumericArray,
  x: NumericArray,
  xOffset: number,
  out: Float64Array,
): void {
  const { wOffset, bOffset, inDim, outDim } = layer;
  for (let k = 0; k < outDim; k++) out[k] = params[bOffset + k]!;
  for (let i = 0; i < inDim; i++) {
    const xi = x[xOffset + i]!;
    if (xi === 0) continue;
    const row = wOffset + i * outDim;
    for (let k = 0; k < outDim; k++) out[k]! += xi * params[row + k]!;
  }
}

/** `dW += x gᵀ`, `db += g` for one row. */
function accumulate(
  layer: Dense,
  grad: Float64Array,
  x: NumericArray,
  xOffset: number,
  g: Float64Array,
): void {
  const { wOffset, bOffset, inDim, outDim } = layer;
  for (let k = 0; k < outDim; k++) grad[bOffset + k]! += g[k]!;
  for (let i = 0; i < inDim; i++) {
    const xi = x[xOffset + i]!;
    if (xi === 0) continue;
    const row = wOffset + i * outDim;
    for (let k = 0; k < outDim; k++) grad[row + k]! += xi * g[k]!;
  }
}

function layersOf(spec: ProjectorSpec, params: NumericArray): Dense[] {
  const s = resolveProjectorSpec(spec);
  const count = parameterCount(s);
  if (params.length !== count)
    throw new RangeError(`parameters must have ${count} elements, got ${params.length}`);
  const hidden = s.kind === 'mlp' ? s.hiddenDim : s.userDim;
  const first: Dense = {
    wOffset: 0,
    bOffset: s.contentDim * hidden,
    inDim: s.contentDim,
    outDim: hidden,
  };
  if (s.kind === 'linear') return [first];
  const w1 = first.bOffset + hidden;
  return [
    first,
    { wOffset: w1, bOffset: w1 + hidden * s.userDim, inDim: hidden, outDim: s.userDim },
  ];
}

/**
 * Loss and (optionally) gradient of one event, accumulated into `grad`.
 * @returns the event's loss
 */
function eventTerms(
  spec: ProjectorSpec,
  layers: Dense[],
  params: NumericArray,
  event: ClickEvent,
  temperature: number,
  grad: Float64Array | undefined,
): number {
  const s = resolveProjectorSpec(spec);
  const n = checkClickEvent(s, event);
  const d = s.userDim;
  const uNorm = rowNorm(event.user, 0, d);
  const mlp = layers.length === 2;
  const hiddenDim = layers[0]!.outDim;
  const pre = new Float64Array(n * hiddenDim);
  const p = new Float64Array(n * d);
  const norms = new Float64Array(n);
  const logits = new Float64Array(n);
  const cosines = new Float64Array(n);
  const y = new Float64Array(d);
  const q = new Float64Array(hiddenDim);
  for (let j = 0; j < n; j++) {
    affine(layers[0]!, params, event.slateContent, j * s.contentDim, mlp ? q : y);
    if (mlp) {
      pre.set(q, j * hiddenDim);
      for (let h = 0; h < hiddenDim; h++) q[h] = Math.max(0, q[h]!);
      affine(layers[1]!, params, q, 0, y);
    }
    const norm = Math.sqrt(y.reduce((acc, v) => acc + v * v, 0));
    // Dropped rows keep p = 0 and n = Infinity, which zeroes their gradient below.
    norms[j] = norm >= MIN_PROJECTION_NORM ? norm : Infinity;
    let dot = 0;
    for (let k = 0; k < d; k++) {
      p[j * d + k] = y[k]! / norms[j]!;
      dot += (event.user[k]! / uNorm) * p[j * d + k]!;
    }
    cosines[j] = dot;
    logits[j] = (dot + (event.slateBias?.[j] ?? 0)) / temperature;
  }
  const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
  const total = logits.reduce((acc, v) => acc + Math.exp(v - max), 0);
  const loss = max + Math.log(total) - logits[event.clickedIndex]!;
  if (grad === undefined) return loss;
  const g = new Float64Array(d);
  const r = new Float64Array(hiddenDim);
  for (let j = 0; j < n; j++) {
    const a =
      (Math.exp(logits[j]! - max) / total - (j === event.clickedIndex ? 1 : 0)) / temperature;
    const sj = cosines[j]!;
    for (let k = 0; k < d; k++)
      g[k] = (a * (event.user[k]! / uNorm - sj * p[j * d + k]!)) / norms[j]!;
    if (!mlp) {
      accumulate(layers[0]!, grad, event.slateContent, j * s.contentDim, g);
      continue;
    }
    const top = layers[1]!;
    for (let h = 0; h < hiddenDim; h++) q[h] = Math.max(0, pre[j * hiddenDim + h]!);
    accumulate(top, grad, q, 0, g);
    for (let h = 0; h < hiddenDim; h++) {
      if (!(pre[j * hiddenDim + h]! > 0)) {
        r[h] = 0;
        continue;
      }
      let acc = 0;
      const row = top.wOffset + h * d;
      for (let k = 0; k < d; k++) acc += params[row + k]! * g[k]!;
      r[h] = acc;
    }
    accumulate(layers[0]!, grad, event.slateContent, j * s.contentDim, r);
  }
  return loss;
}

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be > 0, got ${temperature}`);
  }
}

/**
 * Sum over events of the slate softmax loss of the projector with the given parameters, in f64.
 * @param spec - the architecture
 * @param parameters - flat parameters in layout order
 * @param events - click events (users frozen)
 * @param temperature - τ > 0
 * @returns `Σ_events L`
 * @throws RangeError for invalid parameters, events or temperature
 */
export function referenceRoundLoss(
  spec: ProjectorSpec,
  parameters: NumericArray,
  events: readonly ClickEvent[],
  temperature: number,
): number {
  checkTemperature(temperature);
  const layers = layersOf(spec, parameters);
  return events.reduce(
    (acc, e) => acc + eventTerms(spec, layers, parameters, e, temperature, undefined),
    0,
  );
}

/**
 * `∇_θ Σ_events L` by the hand-derived formulas above, in f64 (the reference for every gradient
 * backend).
 * @param spec - the architecture
 * @param parameters - flat parameters in layout order
 * @param events - click events (users frozen)
 * @param temperature - τ > 0
 * @returns the flat gradient in layout order
 * @throws RangeError for invalid parameters, events or temperature
 */
export function referenceRoundGradient(
  spec: ProjectorSpec,
  parameters: NumericArray,
  events: readonly ClickEvent[],
  temperature: number,
): Float64Array {
  checkTemperature(temperature);
  const layers = layersOf(spec, parameters);
  const grad = new Float64Array(parameters.length);
  for (const e of events) eventTerms(spec, layers, parameters, e, temperature, grad);
  return grad;
}
