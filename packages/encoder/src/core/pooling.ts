import type { NormalizeKind, PoolingKind } from './spec.js';

/** What {@link poolInto} needs to know about one model output. */
export interface PoolingInput {
  /** The output tensor's data, row-major. */
  readonly data: Float32Array;
  /** Batch size. */
  readonly batch: number;
  /** Sequence length (1 when pooling is `none`). */
  readonly sequence: number;
  /** Vector dimension. */
  readonly dim: number;
  /** `[batch × sequence]` token mask (1 = real token). */
  readonly mask: Uint8Array;
}

/**
 * Pools token vectors into one vector per text and normalises it, writing into `target` from row
 * `firstRow`. Mean pooling averages the masked tokens (as sentence-transformers does, dividing by
 * max(count, 1e-9)); `cls` takes token 0; `none` copies. L2 normalisation divides by
 * max(‖v‖₂, 1e-12), like `torch.nn.functional.normalize`. Sums run in float64 in a fixed order, so
 * every JavaScript engine produces the same floats from the same model output.
 * @param input - the model output and mask
 * @param pooling - pooling kind
 * @param normalize - normalisation kind
 * @param target - `count × dim` result buffer
 * @param firstRow - row of `target` receiving the batch's first text
 */
export function poolInto(
  input: PoolingInput,
  pooling: PoolingKind,
  normalize: NormalizeKind,
  target: Float32Array,
  firstRow: number,
): void {
  const { data, batch, sequence, dim, mask } = input;
  const acc = new Float64Array(dim);
  for (let b = 0; b < batch; b++) {
    acc.fill(0);
    if (pooling === 'mean') {
      let count = 0;
      for (let s = 0; s < sequence; s++) {
        if (mask[b * sequence + s] === 0) continue;
        count++;
        const base = (b * sequence + s) * dim;
        for (let d = 0; d < dim; d++) acc[d] = (acc[d] as number) + (data[base + d] as number);
      }
      const divisor = Math.max(count, 1e-9);
      for (let d = 0; d < dim; d++) acc[d] = (acc[d] as number) / divisor;
    } else {
      // `none`: one vector per row; `cls`: the first token of the row.
      const base = b * sequence * dim;
      for (let d = 0; d < dim; d++) acc[d] = data[base + d] as number;
    }
    let scale = 1;
    if (normalize === 'l2') {
      let sumSquares = 0;
      for (let d = 0; d < dim; d++) sumSquares += (acc[d] as number) * (acc[d] as number);
      scale = 1 / Math.max(Math.sqrt(sumSquares), 1e-12);
    }
    const out = (firstRow + b) * dim;
    for (let d = 0; d < dim; d++) target[out + d] = (acc[d] as number) * scale;
  }
}
