/**
 * A first projector fitted to the catalog it will project: the linear projector's columns are the
 * catalog's top principal directions (of the second moment `Σ z zᵀ` of its content vectors), and
 * the bias centres the projection on the catalog mean, so the user space keeps as much of the
 * catalog's content geometry as `userDim` dimensions can. Deterministic from the catalog and the
 * seed, with the same IEEE-exact arithmetic as {@link initialParameters}.
 */
import { initialParameters, orthonormalise, uniformSigned } from './init.js';
import { parameterLayout, resolveProjectorSpec, type ProjectorSpec } from './spec.js';
import { createSeededRandomSource } from '@privads/dp';

/** Subspace-iteration steps: enough for the top 128 of 384 directions to settle on real catalogs. */
const ITERATIONS = 60;

/**
 * @param spec - the architecture; an MLP (or a user space wider than the content space) gets
 *   {@link initialParameters} (orthogonal), which this does not improve on
 * @param content - `count × contentDim` row-major content vectors of the catalog
 * @param count - number of ads
 * @param seed - seed of the starting subspace (any integer)
 * @returns a new flat parameter vector in {@link parameterLayout} order
 * @throws RangeError when `content` does not hold `count` rows, `count` < 1 or a value is not finite
 */
export function catalogInitialParameters(
  spec: ProjectorSpec,
  content: Float32Array,
  count: number,
  seed: number,
): Float32Array {
  const s = resolveProjectorSpec(spec);
  const dim = s.contentDim;
  if (!Number.isInteger(count) || count < 1 || content.length !== count * dim) {
    throw new RangeError(
      `content must hold count × ${dim} values for count ≥ 1, got ${content.length} for count ${count}`,
    );
  }
  if (!content.every(Number.isFinite)) throw new RangeError('content vectors must be finite');
  if (s.kind !== 'linear' || s.userDim > dim) return initialParameters(spec, seed);
  const k = s.userDim;

  const moment = new Float64Array(dim * dim);
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    const z = content.subarray(r * dim, (r + 1) * dim);
    for (let a = 0; a < dim; a++) {
      const za = z[a]!;
      mean[a]! += za / count;
      if (za === 0) continue;
      for (let b = 0; b < dim; b++) moment[a * dim + b]! += za * z[b]!;
    }
  }

  // Subspace iteration: Q ← orthonormalise(M Q), k vectors of length dim (row-major).
  const rng = createSeededRandomSource(seed);
  let basis = new Float64Array(k * dim);
  for (let i = 0; i < basis.length; i++) basis[i] = uniformSigned(rng);
  orthonormalise(basis, k, dim);
  for (let step = 0; step < ITERATIONS; step++) {
    const next = new Float64Array(k * dim);
    for (let j = 0; j < k; j++) {
      const qOffset = j * dim;
      for (let a = 0; a < dim; a++) {
        const mOffset = a * dim;
        let sum = 0;
        for (let b = 0; b < dim; b++) sum += moment[mOffset + b]! * basis[qOffset + b]!;
        next[qOffset + a] = sum;
      }
    }
    orthonormalise(next, k, dim);
    basis = next;
  }

  const [weight, bias] = parameterLayout(spec);
  const out = new Float32Array(weight!.size + bias!.size);
  for (let j = 0; j < k; j++) {
    let shift = 0;
    for (let d = 0; d < dim; d++) {
      const w = basis[j * dim + d]!;
      out[weight!.offset + d * k + j] = w;
      shift -= mean[d]! * w;
    }
    out[bias!.offset + j] = shift;
  }
  return out;
}
