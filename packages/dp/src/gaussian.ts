import { defaultRandomSource, uniform53, uniform53Positive } from './random-source.js';
import type { RandomSource } from './random-source.js';
import { requirePositive } from './validate.js';

/** Options of the noise samplers. */
export interface NoiseOptions {
  /**
   * Where the randomness comes from.
   * @defaultValue the shared CSPRNG source ({@link defaultRandomSource})
   */
  source?: RandomSource;
}

/**
 * Two independent N(0, 1) draws by the Box–Muller transform of two 53-bit uniforms.
 * u1 ∈ (0, 1] keeps the logarithm finite; the smallest u1 = 2⁻⁵³ caps |z| at √(106 ln 2) ≈ 8.57,
 * i.e. the tails beyond 8.57σ (mass ≈ 1e-17) are never produced — see docs/privacy.md.
 */
function standardNormalPair(source: RandomSource): [number, number] {
  const radius = Math.sqrt(-2 * Math.log(uniform53Positive(source)));
  const angle = 2 * Math.PI * uniform53(source);
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

/**
 * One draw from the continuous Gaussian N(0, σ²), in floating point. For simulations and tests
 * only: no release of real data uses it (central, local and adaptive-clipping noise are the exact
 * discrete Gaussian, see `discrete-gaussian.ts`), because floating-point samplers leak through their
 * low bits (Mironov 2012).
 * @param sigma - standard deviation σ > 0
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns the sample
 * @throws TypeError / RangeError when σ is not a finite number > 0
 */
export function sampleGaussian(sigma: number, options: NoiseOptions = {}): number {
  requirePositive('sigma', sigma);
  return sigma * standardNormalPair(options.source ?? defaultRandomSource())[0];
}

/**
 * Adds independent N(0, σ²) noise to every coordinate, by Box–Muller in floating point. For
 * simulations and tests only (stand-in noise where no real data is protected): central and local
 * mode use the exact discrete Gaussian (`randomizeLocally`, `addDiscreteGaussianNoiseBigInt`).
 * The input is not modified; the result has
 * the input's type (a `Float32Array` result is rounded to single precision after the addition).
 * @param values - the (already clipped) vector
 * @param sigma - noise standard deviation σ > 0 (σ = z·C for noise multiplier z and clip norm C)
 * @param options - `source`: randomness (default: the CSPRNG)
 * @returns a new array `values + N(0, σ² I)`
 * @throws TypeError / RangeError when σ is not a finite number > 0
 */
export function addGaussianNoise<T extends Float32Array | Float64Array>(
  values: T,
  sigma: number,
  options: NoiseOptions = {},
): T {
  requirePositive('sigma', sigma);
  const source = options.source ?? defaultRandomSource();
  const out = values.slice() as T;
  for (let i = 0; i < out.length; i += 2) {
    const [z0, z1] = standardNormalPair(source);
    out[i] = (out[i] as number) + sigma * z0;
    if (i + 1 < out.length) out[i + 1] = (out[i + 1] as number) + sigma * z1;
  }
  return out;
}
