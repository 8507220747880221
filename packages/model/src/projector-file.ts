/**
 * Projector weights as safetensors. Tensor names and shapes are those of {@link parameterLayout}:
 *
 * | name                      | shape                   | kind        |
 * |---------------------------|-------------------------|-------------|
 * | `projector.layer0.weight` | `[contentDim, out0]`    | both        |
 * | `projector.layer0.bias`   | `[out0]`                | both        |
 * | `projector.layer1.weight` | `[hiddenDim, userDim]`  | `mlp` only  |
 * | `projector.layer1.bias`   | `[userDim]`             | `mlp` only  |
 *
 * (`out0` is `userDim` for `linear`, `hiddenDim` for `mlp`.) All tensors are F32, row-major.
 * Weights are stored `[in, out]` so that `y = z @ W + b` — the transpose of PyTorch's
 * `nn.Linear.weight` (`[out, in]`, `y = z @ W.T + b`). In PyTorch:
 * `linear.weight.data.copy_(t["projector.layer0.weight"].T)` and
 * `linear.bias.data.copy_(t["projector.layer0.bias"])`; the MLP is
 * `nn.Sequential(nn.Linear(384, 256), nn.ReLU(), nn.Linear(256, 128))` followed by
 * `F.normalize(y, dim=-1)`. See the package README.
 */
import {
  ProtocolError,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from '@privads/protocol';
import {
  MLP_ACTIVATION,
  PARAMETER_NAMES,
  parameterLayout,
  resolveProjectorSpec,
  type ProjectorSpec,
  type ResolvedProjectorSpec,
} from './spec.js';

/** Metadata keys this package writes and checks; every other key is the caller's. */
export const PROJECTOR_METADATA_KEYS = {
  format: 'privads.format',
  kind: 'privads.kind',
  contentDim: 'privads.content_dim',
  userDim: 'privads.user_dim',
  hiddenDim: 'privads.hidden_dim',
  activation: 'privads.activation',
  weightLayout: 'privads.weight_layout',
  output: 'privads.output',
} as const;

/** Value of `privads.format` in every projector file. */
export const PROJECTOR_FORMAT = 'privads-projector-v1';

/** A decoded projector file, before any tfjs tensor exists. */
export interface ProjectorFile {
  /** The architecture, inferred from the tensor shapes (and checked against the metadata). */
  spec: ResolvedProjectorSpec;
  /** Flat parameters in {@link parameterLayout} order. */
  parameters: Float32Array;
  /** The whole `__metadata__` map, including the `privads.*` keys. */
  metadata: Record<string, string>;
}

function describeSpec(spec: ResolvedProjectorSpec): Record<string, string> {
  const k = PROJECTOR_METADATA_KEYS;
  return {
    [k.format]: PROJECTOR_FORMAT,
    [k.kind]: spec.kind,
    [k.contentDim]: String(spec.contentDim),
    [k.userDim]: String(spec.userDim),
    ...(spec.kind === 'mlp'
      ? { [k.hiddenDim]: String(spec.hiddenDim), [k.activation]: MLP_ACTIVATION }
      : {}),
    [k.weightLayout]: 'in_out',
    [k.output]: 'l2_normalized',
  };
}

/**
 * Serialises flat parameters as a safetensors file.
 * @param spec - the architecture
 * @param parameters - flat parameters in {@link parameterLayout} order
 * @param metadata - extra string metadata (e.g. a projector version); `privads.*` keys are written
 *   by this function and may only be repeated with the same value
 * @returns the file bytes
 * @throws RangeError when `parameters` has the wrong length or `metadata` contradicts a `privads.*` key
 */
export function encodeProjectorFile(
  spec: ProjectorSpec,
  parameters: Float32Array,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const resolved = resolveProjectorSpec(spec);
  const layout = parameterLayout(resolved);
  const count = layout[layout.length - 1]!.offset + layout[layout.length - 1]!.size;
  if (parameters.length !== count) {
    throw new RangeError(`parameters must have ${count} elements, got ${parameters.length}`);
  }
  const own = describeSpec(resolved);
  for (const [key, value] of Object.entries(metadata)) {
    if (key in own && own[key] !== value) {
      throw new RangeError(
        `metadata ${key} is reserved (${own[key]}), got ${JSON.stringify(value)}`,
      );
    }
  }
  const tensors: Record<string, Tensor> = {};
  for (const block of layout) {
    const data = parameters.slice(block.offset, block.offset + block.size);
    tensors[block.name] = { dtype: 'F32', shape: block.shape, data };
  }
  return encodeSafetensors(tensors, { ...metadata, ...own });
}

function f32Tensor(
  tensors: Record<string, Tensor>,
  name: string,
  rank: number,
): Tensor & { dtype: 'F32' } {
  const t = tensors[name];
  if (t === undefined) throw new ProtocolError('BAD_HEADER', `projector file lacks tensor ${name}`);
  if (t.dtype !== 'F32') {
    throw new ProtocolError('BAD_HEADER', `tensor ${name} must be F32, got ${t.dtype}`);
  }
  if (t.shape.length !== rank) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `tensor ${name} must have rank ${rank}, got [${t.shape.join(', ')}]`,
    );
  }
  return t;
}

function inferSpec(tensors: Record<string, Tensor>): ResolvedProjectorSpec {
  const names = Object.keys(tensors);
  const w0 = f32Tensor(tensors, PARAMETER_NAMES.layer0Weight, 2);
  const [contentDim, out0] = w0.shape as [number, number];
  const mlp = names.includes(PARAMETER_NAMES.layer1Weight);
  const spec: ProjectorSpec = mlp
    ? {
        kind: 'mlp',
        contentDim,
        hiddenDim: out0,
        userDim: f32Tensor(tensors, PARAMETER_NAMES.layer1Weight, 2).shape[1]!,
      }
    : { kind: 'linear', contentDim, userDim: out0 };
  try {
    return resolveProjectorSpec(spec);
  } catch (error) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `projector file has invalid dimensions: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Parses a projector file written by {@link encodeProjectorFile} or by any tool that follows the
 * documented names (e.g. PyTorch's `safetensors.torch.save_file`). The architecture comes from the
 * tensor shapes; `privads.*` metadata, when present, must agree with it.
 * @param bytes - the safetensors file
 * @returns spec, flat parameters and metadata
 * @throws ProtocolError from {@link decodeSafetensors}; `BAD_HEADER` for a missing, unexpected or
 *   non-F32 tensor or contradictory metadata; `DIM_MISMATCH` for inconsistent shapes; `NON_FINITE`
 *   for NaN/±Infinity parameters
 */
export function decodeProjectorFile(bytes: Uint8Array): ProjectorFile {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const spec = inferSpec(tensors);
  const layout = parameterLayout(spec);
  const expected = new Set(layout.map((b) => b.name));
  const extra = Object.keys(tensors).filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw new ProtocolError(
      'BAD_HEADER',
      `projector file has unexpected tensors: ${extra.join(', ')}`,
    );
  }
  const own = describeSpec(spec);
  for (const [key, value] of Object.entries(own)) {
    const stored = metadata[key];
    if (stored !== undefined && stored !== value) {
      throw new ProtocolError(
        'BAD_HEADER',
        `metadata ${key} is ${JSON.stringify(stored)} but the tensors say ${JSON.stringify(value)}`,
      );
    }
  }
  const last = layout[layout.length - 1]!;
  const parameters = new Float32Array(last.offset + last.size);
  for (const block of layout) {
    const t = f32Tensor(tensors, block.name, block.shape.length);
    if (t.shape.some((d, i) => d !== block.shape[i])) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `tensor ${block.name} has shape [${t.shape.join(', ')}], expected [${block.shape.join(', ')}]`,
      );
    }
    parameters.set(t.data, block.offset);
  }
  const bad = parameters.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0)
    throw new ProtocolError('NON_FINITE', `projector parameter ${bad} is ${parameters[bad]}`);
  return { spec, parameters, metadata };
}
