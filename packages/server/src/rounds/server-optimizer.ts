/**
 * Server optimizers: how a round's (noised) mean update moves the projector. Uploads are loss
 * gradients (`∇θ L` summed over a device's events, clipped), so the server descends:
 *
 * - FedAvg with server learning rate η and momentum β (FedAvgM, Hsu et al. 2019):
 *   `v ← β·v + g`, `θ ← θ − η·v` (β = 0 is plain FedAvg / FedSGD).
 * - FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2):
 *   `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − η·m/(√v + τ)`, with `v` starting at τ².
 *
 * The optimizer only post-processes a DP release, so it costs no privacy. Its state (momentum and
 * second moments) is kept as safetensors next to each projector version.
 */
import {
  ProtocolError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from '@privads/protocol';

/** FedAvg with server momentum. */
export interface FedAvgConfig {
  kind: 'fedavg';
  /** Server learning rate η (> 0). */
  learningRate: number;
  /** Momentum β in [0, 1). */
  momentum: number;
}

/** FedAdam. */
export interface FedAdamConfig {
  kind: 'fedadam';
  /** Server learning rate η (> 0). */
  learningRate: number;
  /** First-moment decay β₁ in [0, 1). */
  beta1: number;
  /** Second-moment decay β₂ in [0, 1). */
  beta2: number;
  /** Adaptivity τ (> 0): the floor of the denominator. */
  tau: number;
}

/** A server optimizer configuration. */
export type ServerOptimizerConfig = FedAvgConfig | FedAdamConfig;

/** The optimizer's memory between rounds. */
export interface OptimizerState {
  /** Which optimizer wrote it; a state of another kind is discarded. */
  kind: ServerOptimizerConfig['kind'];
  /** Rounds applied so far. */
  step: number;
  /** Per-parameter slots: `momentum` (FedAvg) or `m`, `v` (FedAdam). */
  slots: Record<string, Float64Array>;
}

/**
 * Checks an optimizer configuration.
 * @param config - the configuration
 * @returns the same configuration
 * @throws RangeError quoting the offending value
 */
export function checkOptimizerConfig(config: ServerOptimizerConfig): ServerOptimizerConfig {
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate))) {
    throw new RangeError(`optimizer.learningRate must be > 0, got ${config.learningRate}`);
  }
  const unit = (name: string, value: number): void => {
    if (!(value >= 0 && value < 1))
      throw new RangeError(`optimizer.${name} must be in [0, 1), got ${value}`);
  };
  if (config.kind === 'fedavg') unit('momentum', config.momentum);
  else if (config.kind === 'fedadam') {
    unit('beta1', config.beta1);
    unit('beta2', config.beta2);
    if (!(config.tau > 0)) throw new RangeError(`optimizer.tau must be > 0, got ${config.tau}`);
  } else {
    throw new RangeError(
      `optimizer.kind must be "fedavg" or "fedadam", got ${JSON.stringify(config)}`,
    );
  }
  return config;
}

function freshState(config: ServerOptimizerConfig, length: number): OptimizerState {
  if (config.kind === 'fedavg')
    return { kind: 'fedavg', step: 0, slots: { momentum: new Float64Array(length) } };
  return {
    kind: 'fedadam',
    step: 0,
    slots: {
      m: new Float64Array(length),
      v: new Float64Array(length).fill(config.tau * config.tau),
    },
  };
}

function usableState(
  config: ServerOptimizerConfig,
  state: OptimizerState | undefined,
  length: number,
): OptimizerState {
  const names = config.kind === 'fedavg' ? ['momentum'] : ['m', 'v'];
  const fits = state?.kind === config.kind && names.every((n) => state.slots[n]?.length === length);
  return fits && state ? { ...state, slots: { ...state.slots } } : freshState(config, length);
}

/**
 * One server step.
 * @param config - optimizer and hyper-parameters
 * @param parameters - current flat projector parameters θ
 * @param gradient - the round's mean (noised) update g, same length
 * @param state - the previous state (undefined, of another kind or length: start fresh)
 * @returns new parameters and the new state (inputs are not modified)
 * @throws RangeError when lengths differ or the result is not finite
 */
export function serverOptimizerStep(
  config: ServerOptimizerConfig,
  parameters: Float32Array,
  gradient: Float64Array,
  state?: OptimizerState,
): { parameters: Float32Array; state: OptimizerState } {
  const n = parameters.length;
  if (gradient.length !== n)
    throw new RangeError(`gradient length must be ${n}, got ${gradient.length}`);
  const next = usableState(config, state, n);
  const out = new Float32Array(n);
  const eta = config.learningRate;
  if (config.kind === 'fedavg') {
    const v = Float64Array.from(next.slots.momentum as Float64Array);
    for (let i = 0; i < n; i++) {
      v[i] = config.momentum * (v[i] as number) + (gradient[i] as number);
      out[i] = (parameters[i] as number) - eta * (v[i] as number);
    }
    next.slots = { momentum: v };
  } else {
    const m = Float64Array.from(next.slots.m as Float64Array);
    const v = Float64Array.from(next.slots.v as Float64Array);
    for (let i = 0; i < n; i++) {
      const g = gradient[i] as number;
      m[i] = config.beta1 * (m[i] as number) + (1 - config.beta1) * g;
      v[i] = config.beta2 * (v[i] as number) + (1 - config.beta2) * g * g;
      out[i] =
        (parameters[i] as number) -
        (eta * (m[i] as number)) / (Math.sqrt(v[i] as number) + config.tau);
    }
    next.slots = { m, v };
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]))
      throw new RangeError(`server step produced a non-finite parameter at ${i}`);
  }
  return { parameters: out, state: { ...next, step: next.step + 1 } };
}

/**
 * Serialises an optimizer state.
 * @param state - the state
 * @returns safetensors bytes (F64 slots; metadata `kind`, `step`)
 */
export function encodeOptimizerState(state: OptimizerState): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const [name, data] of Object.entries(state.slots))
    tensors[name] = { dtype: 'F64', shape: [data.length], data };
  return encodeSafetensors(tensors, {
    format: 'privads.server-optimizer-state',
    kind: state.kind,
    step: String(state.step),
  });
}

/**
 * Reads {@link encodeOptimizerState} output.
 * @param bytes - safetensors bytes
 * @returns the state
 * @throws ProtocolError `BAD_HEADER` when the file is not an optimizer state
 */
export function decodeOptimizerState(bytes: Uint8Array): OptimizerState {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const kind = metadata.kind;
  const step = Number(metadata.step);
  if (
    metadata.format !== 'privads.server-optimizer-state' ||
    (kind !== 'fedavg' && kind !== 'fedadam') ||
    !Number.isSafeInteger(step)
  ) {
    throw new ProtocolError('BAD_HEADER', 'not a server optimizer state');
  }
  const slots: Record<string, Float64Array> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    if (tensor.dtype !== 'F64')
      throw new ProtocolError('BAD_HEADER', `optimizer slot ${name} must be F64`);
    slots[name] = tensor.data;
  }
  return { kind, step, slots };
}
