/**
 * Projector shapes and the flat parameter layout every party agrees on: the client uploads
 * gradients in this order, the server averages and applies them in this order, and the
 * safetensors file names each block with the same stable names.
 */

/** Dimension of the content encoder's output `z` (the default encoder is 384-d). */
export const DEFAULT_CONTENT_DIM = 384;
/** Dimension of the user space `u` and of projected ad vectors `p = P_θ(z)`. */
export const DEFAULT_USER_DIM = 128;
/** Width of the MLP projector's hidden layer. */
export const DEFAULT_HIDDEN_DIM = 256;

/**
 * Rows of the projector's pre-normalisation output `y` with `‖y‖ < MIN_PROJECTION_NORM` project to
 * the zero vector and receive no gradient; every other row is `y / ‖y‖` exactly. Below this norm
 * (against `‖y‖ ≈ 1` for encoder outputs) the direction is f32 rounding noise and the gradient of
 * the normalisation (`∝ 1/‖y‖`) would swamp a whole round's update.
 */
export const MIN_PROJECTION_NORM = 1e-6;

/** The hidden activation of the MLP projector. Fixed: ReLU (PyTorch `nn.ReLU`). */
export const MLP_ACTIVATION = 'relu';

/**
 * Architecture of the projector `P_θ: R^contentDim → R^userDim` (output L2-normalised).
 * - `linear`: `y = z·W + b`
 * - `mlp`: `y = relu(z·W0 + b0)·W1 + b1` (one hidden layer of `hiddenDim` units)
 */
export interface ProjectorSpec {
  /** Architecture. */
  kind: 'linear' | 'mlp';
  /** Input dimension (the encoder's `Dad`). */
  contentDim: number;
  /** Output dimension (the user space `Du`). */
  userDim: number;
  /**
   * Hidden width of the `mlp` kind; ignored (and normalised away) for `linear`.
   * @defaultValue {@link DEFAULT_HIDDEN_DIM}
   */
  hiddenDim?: number;
}

/** A {@link ProjectorSpec} after validation: `hiddenDim` is set for `mlp` and absent for `linear`. */
export type ResolvedProjectorSpec =
  | { readonly kind: 'linear'; readonly contentDim: number; readonly userDim: number }
  | {
      readonly kind: 'mlp';
      readonly contentDim: number;
      readonly userDim: number;
      readonly hiddenDim: number;
    };

/** One named block of the flat parameter vector. */
export interface ParameterBlock {
  /** Stable tensor name, e.g. `projector.layer0.weight`. */
  readonly name: string;
  /** Shape; weights are `[in, out]` (row-major, the transpose of PyTorch's `nn.Linear.weight`). */
  readonly shape: readonly number[];
  /** Index of the block's first element in the flat vector. */
  readonly offset: number;
  /** Number of elements (product of `shape`). */
  readonly size: number;
}

/** Tensor names in file and flat-vector order (`layerK.weight` then `layerK.bias`, K ascending). */
export const PARAMETER_NAMES = {
  layer0Weight: 'projector.layer0.weight',
  layer0Bias: 'projector.layer0.bias',
  layer1Weight: 'projector.layer1.weight',
  layer1Bias: 'projector.layer1.bias',
} as const;

/** The largest dimension accepted, so that a corrupt file cannot make us allocate gigabytes. */
const MAX_DIM = 65_536;

function checkDim(label: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DIM) {
    throw new RangeError(`${label} must be an integer in [1, ${MAX_DIM}], got ${String(value)}`);
  }
  return value;
}

/**
 * Validates a spec and fills in defaults.
 * @param spec - the requested architecture
 * @returns the resolved spec
 * @throws TypeError for an unknown `kind`; RangeError for a dimension that is not a positive integer
 */
export function resolveProjectorSpec(spec: ProjectorSpec): ResolvedProjectorSpec {
  const contentDim = checkDim('contentDim', spec.contentDim);
  const userDim = checkDim('userDim', spec.userDim);
  if (spec.kind === 'linear') return { kind: 'linear', contentDim, userDim };
  if (spec.kind === 'mlp') {
    const hiddenDim = checkDim('hiddenDim', spec.hiddenDim ?? DEFAULT_HIDDEN_DIM);
    return { kind: 'mlp', contentDim, userDim, hiddenDim };
  }
  throw new TypeError(`kind must be 'linear' or 'mlp', got ${JSON.stringify(spec.kind)}`);
}

/**
 * The ordered parameter blocks of a projector. The flat vector used by gradients, updates and
 * {@link Projector.getFlatParameters} is the concatenation of the blocks in this order, each block
 * row-major.
 *
 * - linear: `projector.layer0.weight [contentDim, userDim]`, `projector.layer0.bias [userDim]`
 * - mlp: `projector.layer0.weight [contentDim, hiddenDim]`, `projector.layer0.bias [hiddenDim]`,
 *   `projector.layer1.weight [hiddenDim, userDim]`, `projector.layer1.bias [userDim]`
 *
 * @param spec - the architecture
 * @returns the blocks with offsets
 * @throws TypeError / RangeError for an invalid spec (see {@link resolveProjectorSpec})
 */
export function parameterLayout(spec: ProjectorSpec): readonly ParameterBlock[] {
  const s = resolveProjectorSpec(spec);
  const shapes: [string, number[]][] =
    s.kind === 'linear'
      ? [
          [PARAMETER_NAMES.layer0Weight, [s.contentDim, s.userDim]],
          [PARAMETER_NAMES.layer0Bias, [s.userDim]],
        ]
      : [
          [PARAMETER_NAMES.layer0Weight, [s.contentDim, s.hiddenDim]],
          [PARAMETER_NAMES.layer0Bias, [s.hiddenDim]],
          [PARAMETER_NAMES.layer1Weight, [s.hiddenDim, s.userDim]],
          [PARAMETER_NAMES.layer1Bias, [s.userDim]],
        ];
  let offset = 0;
  return shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const block = { name, shape: Object.freeze(shape), offset, size };
    offset += size;
    return Object.freeze(block);
  });
}

/**
 * Total number of trainable parameters (linear 384→128: 49,280; mlp 384→256→128: 131,712).
 * @param spec - the architecture
 * @returns the length of the flat parameter vector
 * @throws TypeError / RangeError for an invalid spec
 */
export function parameterCount(spec: ProjectorSpec): number {
  const layout = parameterLayout(spec);
  const last = layout[layout.length - 1];
  return last === undefined ? 0 : last.offset + last.size;
}
